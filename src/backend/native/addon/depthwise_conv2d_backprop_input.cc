// DepthwiseConv2dNativeBackpropInput: the input gradient of a depthwise convolution, computed as
// the backward-data pass of the equivalent grouped convolution.
#include "kernels.h"

namespace fmn {

Napi::Value DepthwiseConv2DBackpropInput(const Napi::CallbackInfo& info) { return ConvBackwardDataFromJs(info, true); }

}  // namespace fmn
