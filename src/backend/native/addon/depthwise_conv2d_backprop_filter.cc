// DepthwiseConv2dNativeBackpropFilter: the weight gradient of a depthwise convolution, computed as
// the backward-weights pass of the equivalent grouped convolution, written as HWC1.
#include "kernels.h"

namespace fmn {

// depthwiseConv2dBackpropFilter(x, dy, dw, params: Int32Array[15]); outC = inC * multiplier.
Napi::Value DepthwiseConv2DBackpropFilter(const Napi::CallbackInfo& info) {
  const int32_t* p = IntArrayArg(info, 3, kConvParams, "params");
  const ConvGeom g = ConvGeom::From(p, /*groups=*/p[3]);
  const float* x = FloatArg(info, 0, g.SrcSize(), "x");
  const float* dy = FloatArg(info, 1, g.DstSize(), "dy");
  float* dw = FloatArg(info, 2, g.WeightsSize(), "output");
  ConvBackwardWeights(g, x, dy, dw);
  return info.Env().Undefined();
}

}  // namespace fmn
