// Elementwise activations on their own (Relu, Relu6, Elu, Sigmoid, LeakyRelu kernels), for
// tensors large enough that oneDNN's vectorised, threaded loop beats tfjs' scalar JS one.
#include "kernels.h"

namespace fmn {

namespace {

struct EltwiseFwd {
  dnnl::eltwise_forward prim;
  memory::desc data;
};

}  // namespace

// eltwise(x, y, activation: number, leakyreluAlpha: number); codes as in common.h (not linear).
Napi::Value Eltwise(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "x: expected a Float32Array");
  const int64_t size = static_cast<int64_t>(info[0].As<Napi::TypedArray>().ElementLength());
  const float* x = FloatArg(info, 0, size, "x");
  float* y = FloatArg(info, 1, size, "output");
  const int act = static_cast<int>(NumberArg(info, 2, "activation"));
  const float leaky = static_cast<float>(NumberArg(info, 3, "leakyreluAlpha"));
  if (size == 0) return info.Env().Undefined();
  algorithm alg;
  float alpha, beta;
  if (!ActivationAlg(act, leaky, &alg, &alpha, &beta)) {
    throw Napi::RangeError::New(info.Env(), "eltwise: linear is not an operation");
  }
  Key key("eltwise");
  key << size << static_cast<int64_t>(act) << leaky;
  ThreadScope threads(ThreadsFor((act == kElu || act == kSigmoid ? 30.0 : 10.0) * size));
  auto e = Cached<EltwiseFwd>(key, [&] {
    auto e = std::make_shared<EltwiseFwd>();
    e->data = memory::desc({size}, kF32, Tag::x);
    dnnl::eltwise_forward::desc d(prop_kind::forward_inference, alg, e->data, alpha, beta);
    e->prim = dnnl::eltwise_forward(dnnl::eltwise_forward::primitive_desc(d, Engine()));
    return e;
  });
  e->prim.execute(Stream(), {{DNNL_ARG_SRC, Wrap(e->data, x)}, {DNNL_ARG_DST, Wrap(e->data, y)}});
  Stream().wait();
  return info.Env().Undefined();
}

}  // namespace fmn
