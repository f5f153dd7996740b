// DepthwiseConv2dNative and FusedDepthwiseConv2D forward: a grouped convolution with one group
// per input channel (see ConvGeom::UserWeightsMd for how HWC1 weights map onto oneDNN's groups).
#include "kernels.h"

namespace fmn {

Napi::Value DepthwiseConv2D(const Napi::CallbackInfo& info) { return ConvForwardFromJs(info, true); }

}  // namespace fmn
