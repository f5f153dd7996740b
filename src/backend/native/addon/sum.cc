// Sum over a contiguous block of axes. tfjs reduces every bias gradient with Sum over all axes
// but the channel one (e.g. [64,28,28,6] → [6]), and its cpu kernel first transposes the tensor
// so the reduced axes come last, one JS index computation per element. Here the tensor is viewed
// as [outer, reduced, inner] (no transpose needed for a contiguous block of axes) and summed in
// double precision, as tfjs' JS numbers do, so results agree with the cpu kernel to float rounding.
#include <omp.h>

#include <vector>

#include "kernels.h"

namespace fmn {

namespace {


// acc[0, inner) += the `reduced` rows of `inner` values at x. Few channels make short inner loops
// (6 for LeNet-5's first layer), so consecutive rows are taken `k` at a time as one "wide row" of
// k·inner values summed into a wide accumulator (a long, vectorised loop), folded at the end.
void SumRows(const float* x, int64_t reduced, int64_t inner, double* acc) {
  const int64_t k = inner >= 64 ? 1 : (64 + inner - 1) / inner;
  const int64_t wide = k * inner;
  std::vector<double> wacc(wide, 0.0);
  const int64_t wideRows = reduced / k;
  for (int64_t r = 0; r < wideRows; r++) {
    const float* row = x + r * wide;
#pragma omp simd
    for (int64_t j = 0; j < wide; j++) wacc[j] += row[j];
  }
  for (int64_t r = wideRows * k; r < reduced; r++) {  // the rows left over
    const float* row = x + r * inner;
    for (int64_t i = 0; i < inner; i++) acc[i] += row[i];
  }
  for (int64_t j = 0; j < wide; j++) acc[j % inner] += wacc[j];
}

}  // namespace

// sum(x, y, params: Int32Array[3]); params: [outer, reduced, inner]; y holds outer·inner values.
Napi::Value Sum(const Napi::CallbackInfo& info) {
  const int32_t* p = IntArrayArg(info, 2, 3, "params");
  const int64_t outer = p[0], reduced = p[1], inner = p[2];
  if (outer <= 0 || reduced < 0 || inner <= 0) throw Napi::RangeError::New(info.Env(), "sum: bad shape");
  const float* x = FloatArg(info, 0, outer * reduced * inner, "x");
  float* y = FloatArg(info, 1, outer * inner, "output");
  const int64_t total = outer * reduced * inner;
  const int threads = ConfiguredThreads();

  if (outer >= threads || total < kMemoryBoundParallelMin) {
    // Enough independent outputs (or too little work) to give each thread whole blocks.
#pragma omp parallel for schedule(static) if (total >= kMemoryBoundParallelMin)
    for (int64_t o = 0; o < outer; o++) {
      std::vector<double> acc(inner, 0.0);
      SumRows(x + o * reduced * inner, reduced, inner, acc.data());
      for (int64_t i = 0; i < inner; i++) y[o * inner + i] = static_cast<float>(acc[i]);
    }
    return info.Env().Undefined();
  }

  // Few outputs over many rows (the bias-gradient case): each thread sums a slice of the rows
  // into its own accumulator (thread-local, so no cache line is shared while summing), and the
  // slices are added in thread order at the end (deterministic for a given thread count).
  for (int64_t o = 0; o < outer; o++) {
    const float* block = x + o * reduced * inner;
    std::vector<std::vector<double>> partial(threads, std::vector<double>(inner, 0.0));
#pragma omp parallel num_threads(threads)
    {
      const int t = omp_get_thread_num(), nt = omp_get_num_threads();
      const int64_t begin = reduced * t / nt, end = reduced * (t + 1) / nt;
      std::vector<double> acc(inner, 0.0);
      SumRows(block + begin * inner, end - begin, inner, acc.data());
      partial[t] = std::move(acc);
    }
    for (int64_t i = 0; i < inner; i++) {
      double s = 0;
      for (int t = 0; t < threads; t++) s += partial[t][i];
      y[o * inner + i] = static_cast<float>(s);
    }
  }
  return info.Env().Undefined();
}

}  // namespace fmn
