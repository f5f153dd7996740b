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
  const bool blocked = BlockedLayoutPays(g);
  const memory::desc src = blocked ? g.AnySrcMd() : g.SrcMd();
  const memory::desc dst = blocked ? g.AnyDstMd() : g.DstMd();
  // oneDNN builds backward primitives from the forward one they belong to (the "hint"), which
  // fixes the layouts both share.
  dnnl::convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_direct, src,
                                     g.AnyWeightsMd(), dst, g.Strides(), g.Dilates(), g.PadBefore(), g.PadAfter());
  dnnl::convolution_forward::primitive_desc fpd(fd, Engine());
  dnnl::convolution_backward_data::desc bd(algorithm::convolution_direct, src, g.AnyWeightsMd(), dst, g.Strides(),
                                           g.Dilates(), g.PadBefore(), g.PadAfter());
  dnnl::convolution_backward_data::primitive_desc pd(bd, Engine(), fpd);
  e->prim = dnnl::convolution_backward_data(pd);
  e->diffDst = Port(g.DstMd(), pd.diff_dst_desc(), true, Buffer::kScratchIn);
  e->weights = Port(g.UserWeightsMd(), pd.weights_desc(), true);
  e->diffSrc = Port(g.SrcMd(), pd.diff_src_desc(), false, Buffer::kScratchOut);
  return e;
}

}  // namespace

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

// conv2dBackpropInput(dy, w, dx, params: Int32Array[15], filterToken?); params describe the forward conv.
Napi::Value Conv2DBackpropInput(const Napi::CallbackInfo& info) {
  const ConvGeom g = ConvGeom::From(IntArrayArg(info, 3, kConvParams, "params"), 1);
  const float* dy = FloatArg(info, 0, g.DstSize(), "dy");
  const float* w = FloatArg(info, 1, g.WeightsSize(), "filter");
  float* dx = FloatArg(info, 2, g.SrcSize(), "output");
  const double token = info.Length() > 4 && info[4].IsNumber() ? info[4].As<Napi::Number>().DoubleValue() : 0;
  ConvBackwardData(g, dy, w, token, dx);
  return info.Env().Undefined();
}

}  // namespace fmn
