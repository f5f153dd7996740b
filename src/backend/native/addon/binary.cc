// Elementwise binary arithmetic (Add, Sub, Multiply, RealDiv, Maximum, Minimum,
// SquaredDifference) for float32, with the broadcasts a training step actually produces.
//
// Why not oneDNN's binary primitive: it needs a primitive per shape and cannot broadcast its
// first operand; these loops are memory-bound either way, and GCC vectorises them (-O3). They
// replace tfjs-backend-cpu's scalar JS loops, which cost ~5–10 ns per element (an Adam step on
// LeNet-5 alone is ~40 such ops over its 62k weights).
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels.h"

namespace fmn {

namespace {

enum Op : int { kAdd = 0, kSub = 1, kMul = 2, kDiv = 3, kMax = 4, kMin = 5, kSquaredDiff = 6 };

// How b (or a) lines up with the output, out having `outer` rows of `inner` values:
enum Broadcast : int {
  kSame = 0,     // a, b, out all [outer·inner]
  kScalarA = 1,  // a is one value
  kScalarB = 2,  // b is one value
  kRowB = 3,     // b is [inner], repeated for every row (e.g. a bias over the last axis)
  kRowA = 4,     // a is [inner]
  kColB = 5,     // b is [outer], one value per row (e.g. x - sum(x, -1, keepDims))
  kColA = 6,     // a is [outer]
  kMidB = 7,     // out is [outer, mid, inner], b is [outer, inner]: the same for every middle index
  kMidA = 8,     //   (e.g. squeeze-and-excite: x [N,H,W,C] times a scale [N,1,1,C])
};

// tfjs' semantics: maximum/minimum propagate NaN (JS Math.max/Math.min do).
struct AddF { float operator()(float a, float b) const { return a + b; } };
struct SubF { float operator()(float a, float b) const { return a - b; } };
struct MulF { float operator()(float a, float b) const { return a * b; } };
struct DivF { float operator()(float a, float b) const { return a / b; } };
struct MaxF { float operator()(float a, float b) const { return (a != a || b != b) ? NAN : (a > b ? a : b); } };
struct MinF { float operator()(float a, float b) const { return (a != a || b != b) ? NAN : (a < b ? a : b); } };
struct SqDiffF { float operator()(float a, float b) const { float d = a - b; return d * d; } };

// dr[j] = f(full[j], small[j]) when the small operand is b, f(small[j], full[j]) when it is a.
template <class F>
inline void Pair(const F& f, bool smallIsB, const float* full, const float* small, float* dr, int64_t len) {
  if (smallIsB) {
#pragma omp simd
    for (int64_t j = 0; j < len; j++) dr[j] = f(full[j], small[j]);
  } else {
#pragma omp simd
    for (int64_t j = 0; j < len; j++) dr[j] = f(small[j], full[j]);
  }
}

template <class F>
void Run(int mode, const float* a, const float* b, float* out, int64_t outer, int64_t inner, int64_t mid) {
  const F f;
  const int64_t n = outer * mid * inner;
  const bool par = n >= kMemoryBoundParallelMin;
  switch (mode) {
    case kSame:
#pragma omp parallel for simd schedule(static) if (par)
      for (int64_t i = 0; i < n; i++) out[i] = f(a[i], b[i]);
      break;
    case kScalarA: {
      const float s = a[0];
#pragma omp parallel for simd schedule(static) if (par)
      for (int64_t i = 0; i < n; i++) out[i] = f(s, b[i]);
      break;
    }
    case kScalarB: {
      const float s = b[0];
#pragma omp parallel for simd schedule(static) if (par)
      for (int64_t i = 0; i < n; i++) out[i] = f(a[i], s);
      break;
    }
    case kRowB:
    case kRowA: {
      // A short row (6 channels of a bias) makes a short inner loop; tile it k times so each
      // step of the loop covers k rows with one long, vectorised pass.
      const int64_t k = inner >= 64 ? 1 : (64 + inner - 1) / inner;
      const float* row = mode == kRowB ? b : a;
      std::vector<float> tiled;
      if (k > 1) {
        tiled.resize(k * inner);
        for (int64_t j = 0; j < k * inner; j++) tiled[j] = row[j % inner];
        row = tiled.data();
      }
      const int64_t wide = k * inner, wideRows = (outer + k - 1) / k;
      const float* full = mode == kRowB ? a : b;
#pragma omp parallel for schedule(static) if (par)
      for (int64_t r = 0; r < wideRows; r++) {
        const int64_t len = std::min(wide, n - r * wide);  // the last wide row may be partial
        Pair(f, mode == kRowB, full + r * wide, row, out + r * wide, len);
      }
      break;
    }
    case kColB:
#pragma omp parallel for schedule(static) if (par)
      for (int64_t o = 0; o < outer; o++) {
        const float* ar = a + o * inner;
        const float s = b[o];
        float* dr = out + o * inner;
#pragma omp simd
        for (int64_t i = 0; i < inner; i++) dr[i] = f(ar[i], s);
      }
      break;
    case kColA:
#pragma omp parallel for schedule(static) if (par)
      for (int64_t o = 0; o < outer; o++) {
        const float* br = b + o * inner;
        const float s = a[o];
        float* dr = out + o * inner;
#pragma omp simd
        for (int64_t i = 0; i < inner; i++) dr[i] = f(s, br[i]);
      }
      break;
    case kMidB:
    case kMidA: {
      const float* small = mode == kMidB ? b : a;
      const float* full = mode == kMidB ? a : b;
#pragma omp parallel for schedule(static) if (par)
      for (int64_t r = 0; r < outer * mid; r++) Pair(f, mode == kMidB, full + r * inner, small + (r / mid) * inner, out + r * inner, inner);
      break;
    }
  }
}

int64_t OperandSize(int mode, bool isA, int64_t outer, int64_t inner, int64_t mid) {
  switch (mode) {
    case kMidB: return isA ? outer * mid * inner : outer * inner;
    case kMidA: return isA ? outer * inner : outer * mid * inner;
    case kSame: return outer * inner;
    case kScalarA: return isA ? 1 : outer * inner;
    case kScalarB: return isA ? outer * inner : 1;
    case kRowB: return isA ? outer * inner : inner;
    case kRowA: return isA ? inner : outer * inner;
    case kColB: return isA ? outer * inner : outer;
    case kColA: return isA ? outer : outer * inner;
  }
  return -1;
}

}  // namespace

// binary(a, b, out, params: Int32Array[5]); params: [op, broadcast, outer, inner, mid] (enums
// above; mid is 1 except for kMidA/kMidB).
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const int32_t* p = IntArrayArg(info, 3, 5, "params");
  const int op = p[0], mode = p[1];
  const int64_t outer = p[2], inner = p[3], mid = p[4];
  if (op < kAdd || op > kSquaredDiff || mode < kSame || mode > kMidA || outer < 0 || inner < 0 || mid < 1 ||
      (mid != 1 && mode != kMidA && mode != kMidB)) {
    throw Napi::RangeError::New(info.Env(), "binary: bad op or broadcast");
  }
  const float* a = FloatArg(info, 0, OperandSize(mode, true, outer, inner, mid), "a");
  const float* b = FloatArg(info, 1, OperandSize(mode, false, outer, inner, mid), "b");
  float* out = FloatArg(info, 2, outer * mid * inner, "output");
  switch (op) {
    case kAdd: Run<AddF>(mode, a, b, out, outer, inner, mid); break;
    case kSub: Run<SubF>(mode, a, b, out, outer, inner, mid); break;
    case kMul: Run<MulF>(mode, a, b, out, outer, inner, mid); break;
    case kDiv: Run<DivF>(mode, a, b, out, outer, inner, mid); break;
    case kMax: Run<MaxF>(mode, a, b, out, outer, inner, mid); break;
    case kMin: Run<MinF>(mode, a, b, out, outer, inner, mid); break;
    case kSquaredDiff: Run<SqDiffF>(mode, a, b, out, outer, inner, mid); break;
  }
  return info.Env().Undefined();
}

}  // namespace fmn
