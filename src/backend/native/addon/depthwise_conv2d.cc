// DepthwiseConv2dNative and FusedDepthwiseConv2D forward: a grouped convolution with one group
// per input channel (see ConvGeom::UserWeightsMd for how HWC1 weights map onto oneDNN's groups).
#include "kernels.h"

namespace fmn {

// depthwiseConv2d(x, w, bias | null, y, params: Int32Array[15], activation, leakyreluAlpha, filterToken?);
// params as for conv2d, with outC = inC * multiplier.
Napi::Value DepthwiseConv2D(const Napi::CallbackInfo& info) {
  const int32_t* p = IntArrayArg(info, 4, kConvParams, "params");
  const ConvGeom g = ConvGeom::From(p, /*groups=*/p[3]);
  const float* x = FloatArg(info, 0, g.SrcSize(), "x");
  const float* w = FloatArg(info, 1, g.WeightsSize(), "filter");
  const float* bias = OptionalFloatArg(info, 2, g.outC, "bias");
  float* y = FloatArg(info, 3, g.DstSize(), "output");
  const int act = static_cast<int>(NumberArg(info, 5, "activation"));
  const float alpha = static_cast<float>(NumberArg(info, 6, "leakyreluAlpha"));
  const double token = info.Length() > 7 && info[7].IsNumber() ? info[7].As<Napi::Number>().DoubleValue() : 0;
  ConvForward(g, x, w, token, bias, act, alpha, y);
  return info.Env().Undefined();
}

}  // namespace fmn
