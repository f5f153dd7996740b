// DepthwiseConv2dNativeBackpropInput: the input gradient of a depthwise convolution, computed as
// the backward-data pass of the equivalent grouped convolution.
#include "kernels.h"

namespace fmn {

// depthwiseConv2dBackpropInput(dy, w, dx, params: Int32Array[15], filterToken?); outC = inC * multiplier.
Napi::Value DepthwiseConv2DBackpropInput(const Napi::CallbackInfo& info) {
  const int32_t* p = IntArrayArg(info, 3, kConvParams, "params");
  const ConvGeom g = ConvGeom::From(p, /*groups=*/p[3]);
  const float* dy = FloatArg(info, 0, g.DstSize(), "dy");
  const float* w = FloatArg(info, 1, g.WeightsSize(), "filter");
  float* dx = FloatArg(info, 2, g.SrcSize(), "output");
  const double token = info.Length() > 4 && info[4].IsNumber() ? info[4].As<Napi::Number>().DoubleValue() : 0;
  ConvBackwardData(g, dy, w, token, dx);
  return info.Env().Undefined();
}

}  // namespace fmn
