// MaxPool forward, NHWC in and out, with tfjs' semantics: a window's value is its largest
// in-bounds pixel (padding never wins; NaN never wins, so an all-NaN window gives -Infinity).
//
// Not oneDNN for max: this loop, vectorised across channels, measured faster than oneDNN's NHWC
// pooling_max on one core both with few channels (LeNet-5's [64,28,28,6] → [64,14,14,6]: 0.33 vs
// 0.77 ms) and with many (VGG16's [256,32,32,64] → [256,16,16,64]: 12 vs 29 ms).
#include <omp.h>

#include <algorithm>
#include <cmath>

#include "kernels.h"

namespace fmn {

void MaxPoolForward(const PoolGeom& g, const float* x, float* y) {
  const int64_t C = g.c;
  const int64_t rows = g.n * g.outH;  // (image, output row) pairs: independent, so shared out
#pragma omp parallel for schedule(static) if (g.Work() >= kSerialWork)
  for (int64_t r = 0; r < rows; r++) {
    const int64_t n = r / g.outH, oh = r % g.outH;
    const float* xi = x + n * g.inH * g.inW * C;
    const int64_t h0 = oh * g.sH - g.padT;
    const int64_t hBegin = std::max<int64_t>(h0, 0), hEnd = std::min(h0 + g.kH, g.inH);
    for (int64_t ow = 0; ow < g.outW; ow++) {
      const int64_t w0 = ow * g.sW - g.padL;
      const int64_t wBegin = std::max<int64_t>(w0, 0), wEnd = std::min(w0 + g.kW, g.inW);
      float* out = y + ((n * g.outH + oh) * g.outW + ow) * C;
      std::fill(out, out + C, -INFINITY);
      for (int64_t h = hBegin; h < hEnd; h++) {
        for (int64_t w = wBegin; w < wEnd; w++) {
          const float* px = xi + (h * g.inW + w) * C;
#pragma omp simd
          for (int64_t c = 0; c < C; c++) out[c] = px[c] > out[c] ? px[c] : out[c];
        }
      }
    }
  }
}

// Shared with AvgPool (avg_pool.cc): the oneDNN pooling forward.
void PoolForward(algorithm alg, const PoolGeom& g, const float* x, float* y) {
  struct PoolFwd {
    dnnl::pooling_forward prim;
    memory::desc src, dst;
  };
  Key key("pool_fwd");
  g.AddTo(key);
  key << static_cast<int64_t>(alg);
  ThreadScope threads(ThreadsFor(g.Work()));
  auto e = Cached<PoolFwd>(key, [&] {
    auto e = std::make_shared<PoolFwd>();
    e->src = g.SrcMd();
    e->dst = g.DstMd();
    dnnl::pooling_forward::desc d(prop_kind::forward_inference, alg, e->src, e->dst, {g.sH, g.sW}, {g.kH, g.kW},
                                  {g.padT, g.padL}, {g.PadB(), g.PadR()});
    e->prim = dnnl::pooling_forward(dnnl::pooling_forward::primitive_desc(d, Engine()));
    return e;
  });
  e->prim.execute(Stream(), {{DNNL_ARG_SRC, Wrap(e->src, x)}, {DNNL_ARG_DST, Wrap(e->dst, y)}});
  Stream().wait();
}

// maxPool(x, y, params: Int32Array[12], useOneDnn?: boolean). The last argument (for measurement)
// runs oneDNN's pooling_max instead.
Napi::Value MaxPool(const Napi::CallbackInfo& info) {
  const PoolGeom g = PoolGeom::From(IntArrayArg(info, 2, kPoolParams, "params"));
  const float* x = FloatArg(info, 0, g.SrcSize(), "x");
  float* y = FloatArg(info, 1, g.DstSize(), "output");
  if (info.Length() > 3 && info[3].ToBoolean()) {
    PoolForward(algorithm::pooling_max, g, x, y);
  } else {
    MaxPoolForward(g, x, y);
  }
  return info.Env().Undefined();
}

}  // namespace fmn
