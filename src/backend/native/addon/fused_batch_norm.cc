// FusedBatchNorm (tfjs' inference-style batch norm, also used inside training, where tfjs passes
// the batch moments as mean/variance): y = (x - mean) * scale / sqrt(variance + eps) + offset,
// with per-channel (last axis) statistics.
//
// Why not oneDNN's batch_normalization_forward: for a [rows, channels] tensor it takes its
// reference implementation, ~70 ns per element (505 ms for MobileNetV2's 32x48x48x96 at 96x96,
// measured). Folded into one multiply-add per element, y = x * a[c] + b[c] with
// a = scale / sqrt(variance + eps) and b = offset - mean * a, it is a memory-bound vectorised loop.
#include <omp.h>

#include <cmath>
#include <vector>

#include "kernels.h"

namespace fmn {

// fusedBatchNorm(x, mean, variance, scale | null, offset | null, y, params: Int32Array[2], epsilon)
// params: [rows, channels]; x is seen as [rows, channels] (every axis but the last flattened into
// rows, which is exactly NHWC's per-channel normalisation).
Napi::Value FusedBatchNorm(const Napi::CallbackInfo& info) {
  const int32_t* p = IntArrayArg(info, 6, 2, "params");
  const int64_t rows = p[0], channels = p[1];
  if (rows <= 0 || channels <= 0) throw Napi::RangeError::New(info.Env(), "fusedBatchNorm: bad shape");
  const float* x = FloatArg(info, 0, rows * channels, "x");
  const float* mean = FloatArg(info, 1, channels, "mean");
  const float* variance = FloatArg(info, 2, channels, "variance");
  const float* scale = OptionalFloatArg(info, 3, channels, "scale");
  const float* offset = OptionalFloatArg(info, 4, channels, "offset");
  float* y = FloatArg(info, 5, rows * channels, "output");
  const float eps = static_cast<float>(NumberArg(info, 7, "varianceEpsilon"));

  // Per-channel factors in float, as tfjs' cpu kernel computes them (x - mean) * (scale / sqrt(var + eps)).
  std::vector<float> a(channels), b(channels);
  for (int64_t c = 0; c < channels; c++) {
    a[c] = (scale ? scale[c] : 1.f) / std::sqrt(variance[c] + eps);
    b[c] = offset ? offset[c] : 0.f;
  }
  const float* pa = a.data();
  const float* pb = b.data();
#pragma omp parallel for schedule(static) if (rows * channels >= kMemoryBoundParallelMin)
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * channels;
    float* yr = y + r * channels;
#pragma omp simd
    for (int64_t c = 0; c < channels; c++) yr[c] = (xr[c] - mean[c]) * pa[c] + pb[c];
  }
  return info.Env().Undefined();
}

}  // namespace fmn
