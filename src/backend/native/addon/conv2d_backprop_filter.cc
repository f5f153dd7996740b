// Conv2DBackpropFilter: the gradient of a convolution with respect to its weights, written in
// tfjs' HWIO layout.
#include "kernels.h"

namespace fmn {

namespace {

struct ConvBwdWeights {
  dnnl::convolution_backward_weights prim;
  Port src, diffDst, diffWeights;
};

std::shared_ptr<ConvBwdWeights> MakeConvBwdWeights(const ConvGeom& g) {
  auto e = std::make_shared<ConvBwdWeights>();
  const bool blocked = BlockedLayoutPays(g);
  const memory::desc src = blocked ? g.AnySrcMd() : g.SrcMd();
  const memory::desc dst = blocked ? g.AnyDstMd() : g.DstMd();
  dnnl::convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_direct, src,
                                     g.AnyWeightsMd(), dst, g.Strides(), g.Dilates(), g.PadBefore(), g.PadAfter());
  dnnl::convolution_forward::primitive_desc fpd(fd, Engine());
  // No diff_bias: tfjs computes the bias gradient itself, as a Sum of dy (see sum.cc).
  dnnl::convolution_backward_weights::desc bd(algorithm::convolution_direct, src, g.AnyWeightsMd(), dst,
                                              g.Strides(), g.Dilates(), g.PadBefore(), g.PadAfter());
  dnnl::convolution_backward_weights::primitive_desc pd(bd, Engine(), fpd);
  e->prim = dnnl::convolution_backward_weights(pd);
  e->src = Port(g.SrcMd(), pd.src_desc(), true, Buffer::kScratchIn);
  // x and dy are both inputs here: dy's internal copy takes the output arena (free until the end).
  e->diffDst = Port(g.DstMd(), pd.diff_dst_desc(), true, Buffer::kScratchOut);
  e->diffWeights = Port(g.UserWeightsMd(), pd.diff_weights_desc(), false);
  return e;
}

}  // namespace

void ConvBackwardWeights(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  Key key("conv_bwd_weights");
  g.AddTo(key);
  ThreadScope threads(ThreadsFor(g.Flops()));
  auto e = Cached<ConvBwdWeights>(key, [&] { return MakeConvBwdWeights(g); });
  e->prim.execute(Stream(), {
                                {DNNL_ARG_SRC, e->src.In(x)},
                                {DNNL_ARG_DIFF_DST, e->diffDst.In(dy)},
                                {DNNL_ARG_DIFF_WEIGHTS, e->diffWeights.Target(dw)},
                            });
  e->diffWeights.Out(dw);
  Stream().wait();
}

// conv2dBackpropFilter(x, dy, dw, params: Int32Array[15]); params describe the forward conv.
Napi::Value Conv2DBackpropFilter(const Napi::CallbackInfo& info) {
  const ConvGeom g = ConvGeom::From(IntArrayArg(info, 3, kConvParams, "params"), 1);
  const float* x = FloatArg(info, 0, g.SrcSize(), "x");
  const float* dy = FloatArg(info, 1, g.DstSize(), "dy");
  float* dw = FloatArg(info, 2, g.WeightsSize(), "output");
  ConvBackwardWeights(g, x, dy, dw);
  return info.Env().Undefined();
}

}  // namespace fmn
