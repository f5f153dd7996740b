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
  const ConvLayouts l = ChooseConvLayouts(g);
  // No diff_bias: tfjs computes the bias gradient itself, as a Sum of dy (see sum.cc).
  dnnl::convolution_backward_weights::desc bd(algorithm::convolution_direct, l.src, g.AnyWeightsMd(), l.dst,
                                              g.Strides(), g.Dilates(), g.PadBefore(), g.PadAfter());
  dnnl::convolution_backward_weights::primitive_desc pd(bd, Engine(), ConvBackwardHint(g, l));
  e->prim = dnnl::convolution_backward_weights(pd);
  e->src = Port(g.SrcMd(), pd.src_desc(), true, Buffer::kScratchIn);
  // x and dy are both inputs here: dy's internal copy takes the output arena (free until the end).
  e->diffDst = Port(g.DstMd(), pd.diff_dst_desc(), true, Buffer::kScratchOut);
  e->diffWeights = Port(g.UserWeightsMd(), pd.diff_weights_desc(), false);
  return e;
}

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

}  // namespace

Napi::Value ConvBackwardWeightsFromJs(const Napi::CallbackInfo& info, bool depthwise) {
  const int32_t* p = IntArrayArg(info, 3, kConvParams, "params");
  const ConvGeom g = ConvGeom::From(p, depthwise ? p[3] : 1);
  const float* x = FloatArg(info, 0, g.SrcSize(), "x");
  const float* dy = FloatArg(info, 1, g.DstSize(), "dy");
  float* dw = FloatArg(info, 2, g.WeightsSize(), "output");
  ConvBackwardWeights(g, x, dy, dw);
  return info.Env().Undefined();
}

Napi::Value Conv2DBackpropFilter(const Napi::CallbackInfo& info) { return ConvBackwardWeightsFromJs(info, false); }

}  // namespace fmn
