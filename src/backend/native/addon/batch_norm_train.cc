// Batch norm in training, forward and backward, each in a few passes over the activation.
//
// tfjs-layers composes training batch norm from moments (mean, x - mean, square, mean) and
// FusedBatchNorm, and differentiates it op by op: ~25 passes over a full-size activation per layer
// and step (tile, broadcast multiplies, sums), about 40% of a ResNet-9 step even with every op
// native. Here: forward = per-channel mean and variance in one pass, then y (2 reads, 1 write);
// backward = per-channel sums of dy and dy·(x − mean) in one pass, then dx (4 reads, 1 write). NHWC
// is seen as [rows, channels]; sums run in float over blocks of 32 rows, then in double.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels.h"

namespace fmn {

namespace {

// acc0[c] = Σ_r a(r, c) and acc1[c] = Σ_r b(r, c) in one pass over the rows, where f(r, c, a, b)
// adds its two terms to a and b. Each thread sums blocks of kBlock rows in float (so the channel loop
// vectorises at full width), adds each block into double partials, and the `threads` partials are
// folded in a fixed order: deterministic for a given thread count, and float's rounding never
// spans more than kBlock terms.
template <class F>
void ChannelSums2(int64_t rows, int64_t channels, int threads, F f, double* acc0, double* acc1) {
  constexpr int64_t kBlock = 32;
  std::vector<double> partial(static_cast<size_t>(threads) * 2 * channels, 0.0);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    const int n = omp_get_num_threads();
    const int64_t begin = rows * t / n, end = rows * (t + 1) / n;
    double* p0 = partial.data() + static_cast<size_t>(t) * 2 * channels;
    double* p1 = p0 + channels;
    std::vector<float> block(2 * channels);
    float* b0 = block.data();
    float* b1 = b0 + channels;
    for (int64_t r0 = begin; r0 < end; r0 += kBlock) {
      std::fill(block.begin(), block.end(), 0.0f);
      for (int64_t r = r0; r < std::min(end, r0 + kBlock); r++) {
#pragma omp simd
        for (int64_t c = 0; c < channels; c++) f(r, c, b0[c], b1[c]);
      }
      for (int64_t c = 0; c < channels; c++) p0[c] += b0[c], p1[c] += b1[c];
    }
  }
  std::fill(acc0, acc0 + channels, 0.0);
  std::fill(acc1, acc1 + channels, 0.0);
  for (int t = 0; t < threads; t++) {
    const double* p0 = partial.data() + static_cast<size_t>(t) * 2 * channels;
    for (int64_t c = 0; c < channels; c++) acc0[c] += p0[c], acc1[c] += p0[channels + c];
  }
}

}  // namespace

// batchNormTrain(x, gamma | null, beta | null, y, mean, variance, params: Int32Array[2], epsilon)
// params: [rows, channels]. Writes y = (x − mean) / sqrt(variance + eps) · gamma + beta and the
// batch's mean and (biased) variance per channel, as tf.moments computes them.
Napi::Value BatchNormTrain(const Napi::CallbackInfo& info) {
  const int32_t* p = IntArrayArg(info, 6, 2, "params");
  const int64_t rows = p[0], channels = p[1];
  if (rows <= 0 || channels <= 0) throw Napi::RangeError::New(info.Env(), "batchNormTrain: bad shape");
  const float* x = FloatArg(info, 0, rows * channels, "x");
  const float* gamma = OptionalFloatArg(info, 1, channels, "gamma");
  const float* beta = OptionalFloatArg(info, 2, channels, "beta");
  float* y = FloatArg(info, 3, rows * channels, "y");
  float* mean = FloatArg(info, 4, channels, "mean");
  float* variance = FloatArg(info, 5, channels, "variance");
  const double eps = NumberArg(info, 7, "epsilon");
  const int threads = ThreadsFor(10.0 * rows * channels);

  // One pass for both moments, of d = x − shift with shift = the first row: var = E[d²] − E[d]² loses
  // nothing to cancellation when the shift is near the mean, which one sample of the channel is.
  const float* shift = x;
  std::vector<double> sd(channels), sdd(channels);
  ChannelSums2(
      rows, channels, threads,
      [&](int64_t r, int64_t c, float& a, float& b) {
        const float d = x[r * channels + c] - shift[c];
        a += d;
        b += d * d;
      },
      sd.data(), sdd.data());
  std::vector<float> k(channels), mf(channels), b(channels);
  for (int64_t c = 0; c < channels; c++) {
    const double md = sd[c] / rows;
    const double var = std::max(0.0, sdd[c] / rows - md * md);
    mean[c] = mf[c] = static_cast<float>(shift[c] + md);
    variance[c] = static_cast<float>(var);
    k[c] = static_cast<float>((gamma ? gamma[c] : 1.0) / std::sqrt(var + eps));
    b[c] = beta ? beta[c] : 0.0f;
  }
  NormalizeRows(x, mf.data(), k.data(), b.data(), y, rows, channels, threads);
  return info.Env().Undefined();
}

// batchNormTrainGrad(x, dy, mean, variance, gamma | null, dx, dgamma, dbeta, params: Int32Array[2], epsilon)
// The gradient of batchNormTrain's y through the batch statistics too (the standard batch-norm
// backward): with inv = 1/sqrt(variance + eps), x̂ = (x − mean)·inv, N = rows,
//   dbeta = Σ dy,  dgamma = Σ dy·x̂,  dx = gamma·inv·(dy − dbeta/N − x̂·dgamma/N).
Napi::Value BatchNormTrainGrad(const Napi::CallbackInfo& info) {
  const int32_t* p = IntArrayArg(info, 8, 2, "params");
  const int64_t rows = p[0], channels = p[1];
  if (rows <= 0 || channels <= 0) throw Napi::RangeError::New(info.Env(), "batchNormTrainGrad: bad shape");
  const float* x = FloatArg(info, 0, rows * channels, "x");
  const float* dy = FloatArg(info, 1, rows * channels, "dy");
  const float* mean = FloatArg(info, 2, channels, "mean");
  const float* variance = FloatArg(info, 3, channels, "variance");
  const float* gamma = OptionalFloatArg(info, 4, channels, "gamma");
  float* dx = FloatArg(info, 5, rows * channels, "dx");
  float* dgamma = FloatArg(info, 6, channels, "dgamma");
  float* dbeta = FloatArg(info, 7, channels, "dbeta");
  const double eps = NumberArg(info, 9, "epsilon");
  const int threads = ThreadsFor(20.0 * rows * channels);

  std::vector<double> sdy(channels), sdyx(channels);
  ChannelSums2(
      rows, channels, threads,
      [&](int64_t r, int64_t c, float& a, float& b) {
        const float g = dy[r * channels + c];
        a += g;
        b += g * (x[r * channels + c] - mean[c]);
      },
      sdy.data(), sdyx.data());
  // dx = a·dy + b·(x − mean) + d per channel.
  std::vector<float> a(channels), b(channels), d(channels);
  for (int64_t c = 0; c < channels; c++) {
    const double inv = 1.0 / std::sqrt(static_cast<double>(variance[c]) + eps);
    const double g = gamma ? gamma[c] : 1.0;
    dbeta[c] = static_cast<float>(sdy[c]);
    dgamma[c] = static_cast<float>(sdyx[c] * inv);
    a[c] = static_cast<float>(g * inv);
    b[c] = static_cast<float>(-g * inv * inv * inv * sdyx[c] / rows);
    d[c] = static_cast<float>(-g * inv * sdy[c] / rows);
  }
  const float *ap = a.data(), *bp = b.data(), *dp = d.data();
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * channels;
    const float* dyr = dy + r * channels;
    float* dxr = dx + r * channels;
#pragma omp simd
    for (int64_t c = 0; c < channels; c++) dxr[c] = ap[c] * dyr[c] + bp[c] * (xr[c] - mean[c]) + dp[c];
  }
  return info.Env().Undefined();
}

}  // namespace fmn
