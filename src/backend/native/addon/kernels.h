// The kernels this addon exports to JS (one per .cc file), and the functions several of them share
// (a depthwise convolution is a grouped convolution, so the depthwise files call the conv ones).
#pragma once

#include "common.h"

namespace fmn {

// conv2d.cc: y = act(conv(x, w) + bias); bias may be null. wToken names w's tfjs tensor (see
// TokenSlots; 0 = unknown).
void ConvForward(const ConvGeom& g, const float* x, const float* w, double wToken, const float* bias, int act,
                 float alpha, float* y);
// conv2d_backprop_input.cc: dx = conv^T(dy, w).
void ConvBackwardData(const ConvGeom& g, const float* dy, const float* w, double wToken, float* dx);
// conv2d_backprop_filter.cc: dw = correlation of x with dy.
void ConvBackwardWeights(const ConvGeom& g, const float* x, const float* dy, float* dw);
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
Napi::Value Softmax(const Napi::CallbackInfo& info);
Napi::Value Eltwise(const Napi::CallbackInfo& info);
Napi::Value Sum(const Napi::CallbackInfo& info);
Napi::Value Binary(const Napi::CallbackInfo& info);
Napi::Value Unary(const Napi::CallbackInfo& info);
Napi::Value Adam(const Napi::CallbackInfo& info);

}  // namespace fmn
