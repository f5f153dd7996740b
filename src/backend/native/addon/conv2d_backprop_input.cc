// Conv2DBackpropInput: the gradient of a convolution with respect to its input,
// dx = conv^T(dy, w), NHWC dy and dx, HWIO weights.
#include "kernels.h"

namespace fmn {

namespace {

struct ConvBwdData {
  dnnl::convolution_backward_data prim;
  Port diffDst, weights, diffSrc;
};

std::shared_ptr<ConvBwdData> MakeConvBwdData(const ConvGeom& g) {
  auto e = std::make_shared<ConvBwdData>();
  const ConvLayouts l = ChooseConvLayouts(g);
  dnnl::convolution_backward_data::desc bd(algorithm::convolution_direct, l.srcOut, g.AnyWeightsMd(), l.dstIn, g.Strides(),
                                           g.Dilates(), g.PadBefore(), g.PadAfter());
  dnnl::convolution_backward_data::primitive_desc pd(bd, Engine(), ConvBackwardHint(g, l));
  e->prim = dnnl::convolution_backward_data(pd);
  e->diffDst = Port(g.DstMd(), pd.diff_dst_desc(), true, Buffer::kScratchIn);
  e->weights = Port(g.UserWeightsMd(), pd.weights_desc(), true);
  e->diffSrc = Port(g.SrcMd(), pd.diff_src_desc(), false, Buffer::kScratchOut);
  return e;
}

void ConvBackwardData(const ConvGeom& g, const float* dy, const float* w, double wToken, float* dx) {
  Key key("conv_bwd_data");
  g.AddTo(key);
  ThreadScope threads(ThreadsFor(g.Flops()));
  auto e = Cached<ConvBwdData>(key, [&] { return MakeConvBwdData(g); });
  e->prim.execute(Stream(), {
                                {DNNL_ARG_DIFF_DST, e->diffDst.In(dy)},
                                {DNNL_ARG_WEIGHTS, e->weights.In(w, wToken)},
                                {DNNL_ARG_DIFF_SRC, e->diffSrc.Target(dx)},
                            });
  e->diffSrc.Out(dx);
  Stream().wait();
}

}  // namespace

Napi::Value ConvBackwardDataFromJs(const Napi::CallbackInfo& info, bool depthwise) {
  const int32_t* p = IntArrayArg(info, 3, kConvParams, "params");
  ConvGeom g = ConvGeom::From(p, depthwise ? p[3] : 1);
  g.bf16 = ConvRunsInBf16(g);
  const float* dy = FloatArg(info, 0, g.DstSize(), "dy");
  const float* w = FloatArg(info, 1, g.WeightsSize(), "filter");
  float* dx = FloatArg(info, 2, g.SrcSize(), "output");
  const double token = info.Length() > 4 && info[4].IsNumber() ? info[4].As<Napi::Number>().DoubleValue() : 0;
  ConvBackwardData(g, dy, w, token, dx);
  return info.Env().Undefined();
}

Napi::Value Conv2DBackpropInput(const Napi::CallbackInfo& info) { return ConvBackwardDataFromJs(info, false); }

}  // namespace fmn
