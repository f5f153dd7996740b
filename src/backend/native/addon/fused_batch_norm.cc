// FusedBatchNorm (tfjs' inference-style batch norm, also used inside training, where tfjs passes
// the batch moments as mean/variance): y = (x - mean) * scale / sqrt(variance + eps) + offset,
// with per-channel (last axis) statistics.
#include "kernels.h"

namespace fmn {

namespace {

struct BatchNorm {
  dnnl::batch_normalization_forward prim;
  memory::desc data, stat;
};

}  // namespace

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

  Key key("batch_norm");
  key << rows << channels << static_cast<int64_t>(scale != nullptr) << static_cast<int64_t>(offset != nullptr)
      << eps;
  ThreadScope threads(ThreadsFor(10.0 * rows * channels));
  auto e = Cached<BatchNorm>(key, [&] {
    auto e = std::make_shared<BatchNorm>();
    e->data = memory::desc({rows, channels}, kF32, Tag::nc);
    e->stat = memory::desc({channels}, kF32, Tag::x);
    // use_global_stats: normalise with the given mean/variance rather than the batch's own.
    auto flags = dnnl::normalization_flags::use_global_stats;
    if (scale) flags |= dnnl::normalization_flags::use_scale;
    if (offset) flags |= dnnl::normalization_flags::use_shift;
    dnnl::batch_normalization_forward::desc d(prop_kind::forward_inference, e->data, eps, flags);
    e->prim = dnnl::batch_normalization_forward(dnnl::batch_normalization_forward::primitive_desc(d, Engine()));
    return e;
  });
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, Wrap(e->data, x)},
      {DNNL_ARG_MEAN, Wrap(e->stat, mean)},
      {DNNL_ARG_VARIANCE, Wrap(e->stat, variance)},
      {DNNL_ARG_DST, Wrap(e->data, y)},
  };
  if (scale) args.emplace(DNNL_ARG_SCALE, Wrap(e->stat, scale));
  if (offset) args.emplace(DNNL_ARG_SHIFT, Wrap(e->stat, offset));
  e->prim.execute(Stream(), args);
  Stream().wait();
  return info.Env().Undefined();
}

}  // namespace fmn
