// DepthwiseConv2dNativeBackpropFilter: the weight gradient of a depthwise convolution, computed as
// the backward-weights pass of the equivalent grouped convolution, written as HWC1.
#include "kernels.h"

namespace fmn {

Napi::Value DepthwiseConv2DBackpropFilter(const Napi::CallbackInfo& info) { return ConvBackwardWeightsFromJs(info, true); }

}  // namespace fmn
