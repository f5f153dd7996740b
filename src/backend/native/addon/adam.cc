// One Adam step for one variable, fused: what tfjs' AdamOptimizer does with 14 kernels (each a
// pass over the weights plus ~20 µs of tfjs bookkeeping) in one pass. Same formulas and
// operation order, float32 throughout, so results match the unfused ops to rounding:
//   m' = b1·m + (1-b1)·g            v' = b2·v + (1-b2)·g²
//   w' = (m'/(1-b1^t)) / (sqrt(v'/(1-b2^t)) + eps) · (-lr) + w
#include <omp.h>

#include <cmath>

#include "kernels.h"

namespace fmn {

// adam(w, g, m, v, wOut, mOut, vOut, hyper: Float32Array[8]);
// hyper: [b1, 1-b1, b2, 1-b2, 1-b1^t, 1-b2^t, eps, -lr], each already rounded to float32 as tfjs'
// scalar tensors are.
Napi::Value Adam(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "w: expected a Float32Array");
  const int64_t n = static_cast<int64_t>(info[0].As<Napi::TypedArray>().ElementLength());
  const float* w = FloatArg(info, 0, n, "w");
  const float* g = FloatArg(info, 1, n, "gradient");
  const float* m = FloatArg(info, 2, n, "m");
  const float* v = FloatArg(info, 3, n, "v");
  float* wOut = FloatArg(info, 4, n, "wOut");
  float* mOut = FloatArg(info, 5, n, "mOut");
  float* vOut = FloatArg(info, 6, n, "vOut");
  const float* h = FloatArg(info, 7, 8, "hyper");
  const float b1 = h[0], c1 = h[1], b2 = h[2], c2 = h[3], bc1 = h[4], bc2 = h[5], eps = h[6], negLr = h[7];
  // ~10 flops and 28 bytes per weight: memory-bound (see kMemoryBoundParallelMin in common.h).
#pragma omp parallel for simd schedule(static) if (n >= kMemoryBoundParallelMin)
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float mi = m[i] * b1 + gi * c1;
    const float vi = v[i] * b2 + (gi * gi) * c2;
    mOut[i] = mi;
    vOut[i] = vi;
    wOut[i] = ((mi / bc1) / (std::sqrt(vi / bc2) + eps)) * negLr + w[i];
  }
  return info.Env().Undefined();
}

}  // namespace fmn
