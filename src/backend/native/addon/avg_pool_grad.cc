// AvgPoolGrad: spreads each dy evenly over its window.
//
// As tfjs defines it, every window divides by the full kH·kW, padded pixels included
// (tfjs-backend-cpu's avgMultiplier), even though the forward AvgPool divides by the in-bounds
// count only; so near 'same' padding this is not the exact gradient of AvgPool. Matching the tfjs
// kernel keeps training identical across backends, so this is oneDNN's include_padding variant.
#include "kernels.h"

namespace fmn {

namespace {

struct AvgPoolBwd {
  dnnl::pooling_backward prim;
  memory::desc src, dst;
};

}  // namespace

static void AvgPoolBackward(const PoolGeom& g, const float* dy, float* dx) {
  Key key("avg_pool_bwd");
  g.AddTo(key);
  ThreadScope threads(ThreadsFor(g.Work()));
  auto e = Cached<AvgPoolBwd>(key, [&] {
    auto e = std::make_shared<AvgPoolBwd>();
    e->src = g.SrcMd();
    e->dst = g.DstMd();
    const Dims strides{g.sH, g.sW}, kernel{g.kH, g.kW}, padL{g.padT, g.padL}, padR{g.PadB(), g.PadR()};
    const algorithm alg = algorithm::pooling_avg_include_padding;
    dnnl::pooling_forward::desc fd(prop_kind::forward_training, alg, e->src, e->dst, strides, kernel, padL, padR);
    dnnl::pooling_forward::primitive_desc fpd(fd, Engine());
    dnnl::pooling_backward::desc bd(alg, e->src, e->dst, strides, kernel, padL, padR);
    e->prim = dnnl::pooling_backward(dnnl::pooling_backward::primitive_desc(bd, Engine(), fpd));
    return e;
  });
  e->prim.execute(Stream(), {{DNNL_ARG_DIFF_DST, Wrap(e->dst, dy)}, {DNNL_ARG_DIFF_SRC, Wrap(e->src, dx)}});
  Stream().wait();
}

// avgPoolGrad(dy, dx, params: Int32Array[12]).
Napi::Value AvgPoolGrad(const Napi::CallbackInfo& info) {
  const PoolGeom g = PoolGeom::From(IntArrayArg(info, 2, kPoolParams, "params"));
  const float* dy = FloatArg(info, 0, g.DstSize(), "dy");
  float* dx = FloatArg(info, 1, g.SrcSize(), "output");
  AvgPoolBackward(g, dy, dx);
  return info.Env().Undefined();
}

}  // namespace fmn
