// Conv2DBackpropFilter: the gradient of a convolution with respect to its weights, written in
// tfjs' HWIO layout.
#include <algorithm>
#include <cstdlib>
#include <string>

#include "kernels.h"

namespace fmn {

namespace {

// Output maps up to this many pixels (2x2) take the im2col path below.
constexpr int64_t kIm2colMaxPixels = 4;

struct ConvBwdWeights {
  dnnl::convolution_backward_weights prim;
  Port src, diffDst, diffWeights;
};

std::shared_ptr<ConvBwdWeights> MakeConvBwdWeights(const ConvGeom& g) {
  auto e = std::make_shared<ConvBwdWeights>();
  const ConvLayouts l = ChooseConvLayouts(g);
  // No diff_bias: tfjs computes the bias gradient itself, as a Sum of dy (see sum.cc).
  // The weights' gradient is written in float32 whatever the inputs' type.
  dnnl::convolution_backward_weights::desc bd(algorithm::convolution_direct, l.srcIn, g.AnyWeightsMd(kF32), l.dstIn,
                                              g.Strides(), g.Dilates(), g.PadBefore(), g.PadAfter());
  dnnl::convolution_backward_weights::primitive_desc pd(bd, Engine(), ConvBackwardHint(g, l));
  e->prim = dnnl::convolution_backward_weights(pd);
  e->src = Port(g.SrcMd(), pd.src_desc(), true, Buffer::kScratchIn);
  // x and dy are both inputs here: dy's internal copy takes the output arena (free until the end).
  e->diffDst = Port(g.DstMd(), pd.diff_dst_desc(), true, Buffer::kScratchOut);
  e->diffWeights = Port(g.UserWeightsMd(), pd.diff_weights_desc(), false);
  return e;
}

// ---- small images as one matrix product
// With every image's output pixels as rows, the gradient is one matrix product: dw[(kh,kw,ic), oc] =
// Σ_rows P[row, (kh,kw,ic)] · dy[row, oc], where P (im2col) holds the input pixel each tap reads
// for that output pixel (zero in the padding), and dy (NHWC) is already [rows, oc]; (kh,kw,ic)
// by oc is HWIO, so the product writes tfjs' layout directly. oneDNN 2.6's direct kernel for this
// pass runs at ~90–110 GFLOP/s per core down to 4x4 maps but loses speed on 2x2 and 1x1 ones (the
// last stages of VGG16 and ResNet152V2 at 32x32). Best of 8 calls, 1 thread, AVX-512: 2x2, 512→512,
// 3x3, batch 64: 15.2 ms direct, 11.9 im2col; 1x1, 512→512, 3x3, batch 32: 7.5 and 2.8 ms; 1x1,
// 512→2048, 1x1: 2.3 and 0.6 ms. At 4x4 im2col was no faster (4x4, 256→256, batch 32: 5.9 ms
// direct, 10.4 im2col), hence the limit below.

bool Im2colPays(const ConvGeom& g) {
  // FMNIST_NATIVE_IM2COL=0 turns this path off (for measurements).
  static const bool off = std::getenv("FMNIST_NATIVE_IM2COL") && std::string(std::getenv("FMNIST_NATIVE_IM2COL")) == "0";
  if (off || g.groups != 1 || g.outH * g.outW > kIm2colMaxPixels) return false;
  const double bytes = 4.0 * g.n * g.outH * g.outW * g.kH * g.kW * g.inC;
  return bytes <= 64e6;  // P lives in a scratch arena: at most 64 MB
}

struct Im2colBwdWeights {
  dnnl::matmul prim;
  memory::desc p, dy, dw;
};

std::shared_ptr<Im2colBwdWeights> MakeIm2colBwdWeights(const ConvGeom& g) {
  auto e = std::make_shared<Im2colBwdWeights>();
  const int64_t rows = g.n * g.outH * g.outW, taps = g.kH * g.kW * g.inC;
  e->p = memory::desc({taps, rows}, kF32, Tag::ba);  // P transposed: P itself is row-major [rows, taps]
  e->dy = memory::desc({rows, g.outC}, kF32, Tag::ab);
  e->dw = memory::desc({taps, g.outC}, kF32, Tag::ab);
  e->prim = dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(e->p, e->dy, e->dw), Engine()));
  return e;
}

void Im2colBackwardWeights(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  Key key("conv_bwd_weights_im2col");
  g.AddTo(key);
  auto e = Cached<Im2colBwdWeights>(key, [&] { return MakeIm2colBwdWeights(g); });
  const int64_t rows = g.n * g.outH * g.outW, taps = g.kH * g.kW * g.inC;
  float* p = static_cast<float*>(ScratchArena(Buffer::kScratchIn, rows * taps * sizeof(float)));
  // Each row: for every tap, the input pixel's inC channels (one contiguous NHWC run) or zeros.
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const int64_t n = r / (g.outH * g.outW), o = r % (g.outH * g.outW), oh = o / g.outW, ow = o % g.outW;
    float* row = p + r * taps;
    for (int64_t kh = 0; kh < g.kH; kh++) {
      for (int64_t kw = 0; kw < g.kW; kw++) {
        float* dst = row + (kh * g.kW + kw) * g.inC;
        const int64_t ih = oh * g.sH - g.padT + kh * g.dH, iw = ow * g.sW - g.padL + kw * g.dW;
        if (ih < 0 || ih >= g.inH || iw < 0 || iw >= g.inW) {
          std::fill(dst, dst + g.inC, 0.f);
        } else {
          const float* src = x + ((n * g.inH + ih) * g.inW + iw) * g.inC;
          std::copy(src, src + g.inC, dst);
        }
      }
    }
  }
  e->prim.execute(Stream(), {{DNNL_ARG_SRC, Wrap(e->p, p)}, {DNNL_ARG_WEIGHTS, Wrap(e->dy, dy)}, {DNNL_ARG_DST, Wrap(e->dw, dw)}});
  Stream().wait();
}

void ConvBackwardWeights(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  Key key("conv_bwd_weights");
  g.AddTo(key);
  ThreadScope threads(ThreadsFor(g.Flops()));
  if (Im2colPays(g)) return Im2colBackwardWeights(g, x, dy, dw);
  auto e = Cached<ConvBwdWeights>(key, [&] { return MakeConvBwdWeights(g); });
  e->prim.execute(Stream(), {
                                {DNNL_ARG_SRC, e->src.In(x)},
                                {DNNL_ARG_DIFF_DST, e->diffDst.In(dy)},
                                {DNNL_ARG_DIFF_WEIGHTS, e->diffWeights.Target(dw)},
                            });
  e->diffWeights.Out(dw);
  Stream().wait();
}

}  // namespace

Napi::Value ConvBackwardWeightsFromJs(const Napi::CallbackInfo& info, bool depthwise) {
  const int32_t* p = IntArrayArg(info, 3, kConvParams, "params");
  ConvGeom g = ConvGeom::From(p, depthwise ? p[3] : 1);
  g.bf16 = ConvRunsInBf16(g);
  const float* x = FloatArg(info, 0, g.SrcSize(), "x");
  const float* dy = FloatArg(info, 1, g.DstSize(), "dy");
  float* dw = FloatArg(info, 2, g.WeightsSize(), "output");
  ConvBackwardWeights(g, x, dy, dw);
  return info.Env().Undefined();
}

Napi::Value Conv2DBackpropFilter(const Napi::CallbackInfo& info) { return ConvBackwardWeightsFromJs(info, false); }

}  // namespace fmn
