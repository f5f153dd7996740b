// Softmax over the last axis: y = exp(x - max) / sum(exp(x - max)) per row.
#include "kernels.h"

namespace fmn {

namespace {

struct SoftmaxFwd {
  dnnl::softmax_forward prim;
  memory::desc data;
};

}  // namespace

// softmax(x, y, params: Int32Array[2]); params: [rows, classes].
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  const int32_t* p = IntArrayArg(info, 2, 2, "params");
  const int64_t rows = p[0], classes = p[1];
  if (rows <= 0 || classes <= 0) throw Napi::RangeError::New(info.Env(), "softmax: bad shape");
  const float* x = FloatArg(info, 0, rows * classes, "logits");
  float* y = FloatArg(info, 1, rows * classes, "output");
  Key key("softmax");
  key << rows << classes;
  ThreadScope threads(ThreadsFor(30.0 * rows * classes));  // an exp per element
  auto e = Cached<SoftmaxFwd>(key, [&] {
    auto e = std::make_shared<SoftmaxFwd>();
    e->data = memory::desc({rows, classes}, kF32, Tag::nc);
    dnnl::softmax_forward::desc d(prop_kind::forward_inference, e->data, /*axis=*/1);
    e->prim = dnnl::softmax_forward(dnnl::softmax_forward::primitive_desc(d, Engine()));
    return e;
  });
  e->prim.execute(Stream(), {{DNNL_ARG_SRC, Wrap(e->data, x)}, {DNNL_ARG_DST, Wrap(e->data, y)}});
  Stream().wait();
  return info.Env().Undefined();
}

}  // namespace fmn
