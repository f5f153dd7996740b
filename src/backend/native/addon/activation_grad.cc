// Activation gradients in one pass (../gradients.ts, ../swish.ts): dx = dy · f'(x), for float32 dy and
// x of one size, where tfjs composes each from 3–7 full-size passes over the activations.
//   kRangeOpenLow, kRangeClosedLow (relu, relu6, clip): dy where lo < x ≤ hi (lo ≤ x ≤ hi), else 0;
//     a NaN x is in no range, so its gradient is 0.
//   kSwish: f(x) = x·s, s = 1/(1 + e^−x), so f'(x) = s·(1 + x·(1 − s)).
#include <omp.h>

#include <cmath>

#include "kernels.h"

namespace fmn {

namespace {

enum GradOp : int { kRangeOpenLow = 0, kRangeClosedLow = 1, kSwish = 2 };

// As unary.cc's Map: firstprivate so the loop vectorises; a second thread only for large arrays.
template <class F>
void Zip(const float* dy, const float* x, float* dx, int64_t n, F f) {
#pragma omp parallel for simd schedule(static) firstprivate(f) if (n >= kMemoryBoundParallelMin)
  for (int64_t i = 0; i < n; i++) dx[i] = f(dy[i], x[i]);
}

}  // namespace

// activationGrad(dy, x, dx, op, lo?, hi?): lo and hi bound the range ops (hi may be Infinity).
Napi::Value ActivationGrad(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "dy: expected a Float32Array");
  const int64_t n = static_cast<int64_t>(info[0].As<Napi::TypedArray>().ElementLength());
  const float* dy = FloatArg(info, 0, n, "dy");
  const float* x = FloatArg(info, 1, n, "x");
  float* dx = FloatArg(info, 2, n, "dx");
  const int op = static_cast<int>(NumberArg(info, 3, "op"));
  const float lo = info.Length() > 4 ? static_cast<float>(NumberArg(info, 4, "lo")) : 0.f;
  const float hi = info.Length() > 5 ? static_cast<float>(NumberArg(info, 5, "hi")) : 0.f;
  switch (op) {
    // & rather than &&: both comparisons always run, so the select vectorises without branches.
    case kRangeOpenLow: Zip(dy, x, dx, n, [lo, hi](float g, float v) { return ((v > lo) & (v <= hi)) ? g : 0.f; }); break;
    case kRangeClosedLow: Zip(dy, x, dx, n, [lo, hi](float g, float v) { return ((v >= lo) & (v <= hi)) ? g : 0.f; }); break;
    case kSwish:
      Zip(dy, x, dx, n, [](float g, float v) {
        const float s = 1.f / (1.f + std::exp(-v));
        return g * s * (1.f + v * (1.f - s));
      });
      break;
    default: throw Napi::RangeError::New(info.Env(), "activationGrad: unknown op");
  }
  return info.Env().Undefined();
}

}  // namespace fmn
