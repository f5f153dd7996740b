// The kernels this addon exports to JS (one per .cc file), and the functions several of them share
// (a depthwise convolution is a grouped convolution, so the depthwise files call the conv ones).
#pragma once

#include "common.h"

namespace fmn {

// conv2d.cc: the source/destination layouts all of a convolution's primitives agree on (blocked
// where BlockedLayoutPays, else the user's NHWC), and the forward primitive oneDNN builds the
// backward ones from (their "hint", which fixes the layouts they share). Each tensor has an input
// form (what a pass reads: bf16 when g.bf16) and an output form (what a pass writes: float32).
struct ConvLayouts {
  memory::desc srcIn, srcOut, dstIn, dstOut;
};
// Whether g's passes should run in bf16: the precision is bf16 and oneDNN has optimised bf16
// kernels for all three passes of this shape (checked once per shape).
bool ConvRunsInBf16(const ConvGeom& g);
ConvLayouts ChooseConvLayouts(const ConvGeom& g);
dnnl::convolution_forward::primitive_desc ConvBackwardHint(const ConvGeom& g, const ConvLayouts& l);

// The JS entry points of a convolution's three passes, shared by the regular and the depthwise
// kernels: they read the arguments, then run the pass with groups = 1, or for a depthwise
// convolution one group per input channel. wToken names w's tfjs tensor (see TokenSlots; 0 = unknown).
//   forward (conv2d.cc):                 (x, w, bias | null, y, params, activation, leakyreluAlpha, wToken?)
//   backward data (conv2d_backprop_input.cc):   (dy, w, dx, params, wToken?)
//   backward weights (conv2d_backprop_filter.cc): (x, dy, dw, params)
// params: Int32Array[15] describing the forward convolution (ConvGeom); depthwise outC = inC * multiplier.
Napi::Value ConvForwardFromJs(const Napi::CallbackInfo& info, bool depthwise);
Napi::Value ConvBackwardDataFromJs(const Napi::CallbackInfo& info, bool depthwise);
Napi::Value ConvBackwardWeightsFromJs(const Napi::CallbackInfo& info, bool depthwise);
// max_pool.cc: oneDNN's pooling forward (AvgPool uses it; MaxPool has its own loop there).
void PoolForward(algorithm alg, const PoolGeom& g, const float* x, float* y);

// JS entry points. Each throws a JS Error on bad arguments; addon.cc turns oneDNN errors into
// JS Errors too.
Napi::Value Conv2D(const Napi::CallbackInfo& info);
Napi::Value Conv2DBackpropInput(const Napi::CallbackInfo& info);
Napi::Value Conv2DBackpropFilter(const Napi::CallbackInfo& info);
Napi::Value DepthwiseConv2D(const Napi::CallbackInfo& info);
Napi::Value DepthwiseConv2DBackpropInput(const Napi::CallbackInfo& info);
Napi::Value DepthwiseConv2DBackpropFilter(const Napi::CallbackInfo& info);
Napi::Value MaxPool(const Napi::CallbackInfo& info);
Napi::Value AvgPool(const Napi::CallbackInfo& info);
Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info);
Napi::Value AvgPoolGrad(const Napi::CallbackInfo& info);
Napi::Value BatchMatMul(const Napi::CallbackInfo& info);
Napi::Value FusedBatchNorm(const Napi::CallbackInfo& info);
Napi::Value BatchNormTrain(const Napi::CallbackInfo& info);
// y[r, c] = (x[r, c] − mean[c]) · k[c] + b[c] over [rows, channels] (fused_batch_norm.cc; batch norm's last pass).
void NormalizeRows(const float* x, const float* mean, const float* k, const float* b, float* y, int64_t rows, int64_t channels, int threads);
Napi::Value BatchNormTrainGrad(const Napi::CallbackInfo& info);
Napi::Value Softmax(const Napi::CallbackInfo& info);
Napi::Value Eltwise(const Napi::CallbackInfo& info);
Napi::Value Sum(const Napi::CallbackInfo& info);
Napi::Value Binary(const Napi::CallbackInfo& info);
Napi::Value Unary(const Napi::CallbackInfo& info);
Napi::Value ActivationGrad(const Napi::CallbackInfo& info);
Napi::Value Adam(const Napi::CallbackInfo& info);

}  // namespace fmn
