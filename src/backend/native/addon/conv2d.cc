// Conv2D and FusedConv2D forward: y = act(conv(x, w) + bias), NHWC in and out, HWIO weights.
#include <algorithm>
#include <cstdlib>
#include <string>

#include "kernels.h"

namespace fmn {

namespace {

struct ConvFwd {
  dnnl::convolution_forward prim;
  memory::desc bias;
  Port src, weights, dst;
};

std::shared_ptr<ConvFwd> MakeConvFwd(const ConvGeom& g, bool hasBias, int act, float alpha) {
  auto e = std::make_shared<ConvFwd>();
  e->bias = hasBias ? memory::desc({g.outC}, kF32, Tag::x) : memory::desc();
  const ConvLayouts l = ChooseConvLayouts(g);
  // forward_inference: no training-only state is needed (the gradients recompute from x and dy).
  // convolution_direct: oneDNN 2.6's Winograd is AVX-512 only, and `auto` would pick direct here anyway.
  dnnl::convolution_forward::desc d(prop_kind::forward_inference, algorithm::convolution_direct, l.srcIn,
                                    g.AnyWeightsMd(), e->bias, l.dstOut, g.Strides(), g.Dilates(), g.PadBefore(),
                                    g.PadAfter());
  dnnl::convolution_forward::primitive_desc pd(d, ActivationAttr(act, alpha), Engine());
  e->prim = dnnl::convolution_forward(pd);
  e->src = Port(g.SrcMd(), pd.src_desc(), true, Buffer::kScratchIn);
  e->weights = Port(g.UserWeightsMd(), pd.weights_desc(), true);
  e->dst = Port(g.DstMd(), pd.dst_desc(), false, Buffer::kScratchOut);
  return e;
}

// ---- small images as one matrix product
// On VGG16's last block (2x2 images, 512→512 channels, 3x3 'same') oneDNN's direct kernels run at
// ~16 GFLOP/s of useful work per core (most of each 3x3 window is padding, and a 2x2 image leaves
// its blocking nothing to work with), against ~80 for a plain GEMM. When a convolution's output
// pixels together read nearly every (input pixel, output pixel) pair, it is exactly a matrix
// product y[n, (oh,ow,oc)] = x[n, (ih,iw,ic)] · W'[(ih,iw,ic), (oh,ow,oc)], where the dense W'
// holds the kernel tap joining each pair (zero where none does). NHWC x and y are already those
// matrices, so nothing is reordered; W' is rebuilt from the HWIO weights at every call.

struct PairCount {
  int64_t used = 0;  // (input pixel, output pixel) pairs a kernel tap joins
  int64_t all = 0;   // inH·inW·outH·outW
};

PairCount CountPairs(const ConvGeom& g) {
  PairCount c;
  c.all = g.inH * g.inW * g.outH * g.outW;
  for (int64_t oh = 0; oh < g.outH; oh++)
    for (int64_t ow = 0; ow < g.outW; ow++)
      for (int64_t kh = 0; kh < g.kH; kh++)
        for (int64_t kw = 0; kw < g.kW; kw++) {
          const int64_t ih = oh * g.sH - g.padT + kh * g.dH, iw = ow * g.sW - g.padL + kw * g.dW;
          if (ih >= 0 && ih < g.inH && iw >= 0 && iw < g.inW) c.used++;
        }
  return c;
}

bool DenseGemmPays(const ConvGeom& g) {
  // FMNIST_NATIVE_DENSE_CONV=0 turns this path off (for measurements).
  static const bool off = std::getenv("FMNIST_NATIVE_DENSE_CONV") && std::string(std::getenv("FMNIST_NATIVE_DENSE_CONV")) == "0";
  if (off || g.groups != 1 || g.n < 16) return false;  // below ~16 images building W' costs more than it saves
  const double expanded = static_cast<double>(g.inH * g.inW * g.inC) * (g.outH * g.outW * g.outC);
  if (expanded > 16e6) return false;  // W' over 64 MB: only tiny images qualify anyway
  const PairCount c = CountPairs(g);
  return c.used * 5 >= c.all * 4;  // at most 25% of the product multiplies structural zeros
}

struct DenseConv {
  dnnl::matmul prim;
  memory::desc x, w, y, bias;
  TokenSlots dense{4};  // W' by source tensor: VGG16's conv5_1..3 share this entry
};

std::shared_ptr<DenseConv> MakeDenseConv(const ConvGeom& g, bool hasBias, int act, float alpha) {
  auto e = std::make_shared<DenseConv>();
  const int64_t k = g.inH * g.inW * g.inC, cols = g.outH * g.outW * g.outC;
  e->x = memory::desc({g.n, k}, kF32, Tag::ab);
  e->w = memory::desc({k, cols}, kF32, Tag::ab);
  e->y = memory::desc({g.n, cols}, kF32, Tag::ab);
  e->bias = hasBias ? memory::desc({1, cols}, kF32, Tag::ab) : memory::desc();
  dnnl::matmul::desc d(e->x, e->w, e->bias, e->y);
  e->prim = dnnl::matmul(dnnl::matmul::primitive_desc(d, ActivationAttr(act, alpha), Engine()));
  return e;
}

void DenseConvForward(const ConvGeom& g, const float* x, const float* w, double wToken, const float* bias, int act,
                      float alpha, float* y) {
  Key key("conv_dense");
  g.AddTo(key);
  key << static_cast<int64_t>(bias != nullptr) << static_cast<int64_t>(act) << alpha;
  auto e = Cached<DenseConv>(key, [&] { return MakeDenseConv(g, bias != nullptr, act, alpha); });
  const int64_t cols = g.outH * g.outW * g.outC;
  auto [denseMem, ready] = e->dense.Get(wToken, e->w);
  float* dense = static_cast<float*>(denseMem.get_data_handle());
  if (!ready) {
    // W' is tens of MB (16 MB for 2x2x512 → 2x2x512): fill it with every thread.
    const int64_t wFloats = g.inH * g.inW * g.inC * cols;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < wFloats; i += 4096) std::fill(dense + i, dense + std::min(i + 4096, wFloats), 0.f);
    // W'[(ih,iw,ic), (oh,ow,oc)] = W[kh,kw,ic,oc] for the tap joining the two pixels: each tap
    // row of W (OC values) is copied to one contiguous run of W'. Output pixels own disjoint columns.
#pragma omp parallel for schedule(static)
    for (int64_t o = 0; o < g.outH * g.outW; o++) {
      const int64_t oh = o / g.outW, ow = o % g.outW;
      for (int64_t kh = 0; kh < g.kH; kh++) {
        for (int64_t kw = 0; kw < g.kW; kw++) {
          const int64_t ih = oh * g.sH - g.padT + kh * g.dH, iw = ow * g.sW - g.padL + kw * g.dW;
          if (ih < 0 || ih >= g.inH || iw < 0 || iw >= g.inW) continue;
          for (int64_t ic = 0; ic < g.inC; ic++) {
            const float* tap = w + ((kh * g.kW + kw) * g.inC + ic) * g.outC;
            float* row = dense + ((ih * g.inW + iw) * g.inC + ic) * cols + o * g.outC;
            std::copy(tap, tap + g.outC, row);
          }
        }
      }
    }
  }
  float* tiledBias = static_cast<float*>(ScratchArena(Buffer::kScratchWeights, cols * sizeof(float)));
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, Wrap(e->x, x)},
      {DNNL_ARG_WEIGHTS, denseMem},
      {DNNL_ARG_DST, Wrap(e->y, y)},
  };
  if (bias) {
    for (int64_t p = 0; p < g.outH * g.outW; p++) std::copy(bias, bias + g.outC, tiledBias + p * g.outC);
    args.emplace(DNNL_ARG_BIAS, Wrap(e->bias, tiledBias));
  }
  e->prim.execute(Stream(), args);
  Stream().wait();
}

void ConvForward(const ConvGeom& g, const float* x, const float* w, double wToken, const float* bias, int act,
                 float alpha, float* y) {
  Key key("conv_fwd");
  g.AddTo(key);
  key << static_cast<int64_t>(bias != nullptr) << static_cast<int64_t>(act) << alpha;
  ThreadScope threads(ThreadsFor(g.Flops()));
  if (DenseGemmPays(g)) return DenseConvForward(g, x, w, wToken, bias, act, alpha, y);
  auto e = Cached<ConvFwd>(key, [&] { return MakeConvFwd(g, bias != nullptr, act, alpha); });
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, e->src.In(x)},
      {DNNL_ARG_WEIGHTS, e->weights.In(w, wToken)},
      {DNNL_ARG_DST, e->dst.Target(y)},
  };
  if (bias) args.emplace(DNNL_ARG_BIAS, Wrap(e->bias, bias));
  e->prim.execute(Stream(), args);
  e->dst.Out(y);
  Stream().wait();
}

}  // namespace

ConvLayouts ChooseConvLayouts(const ConvGeom& g) {
  // bf16: oneDNN picks every layout (its AMX kernels want channels blocked by 16 or 32, or NHWC);
  // the bf16 copy of an input is made by the same reorder that would change its layout anyway.
  if (g.bf16) return {g.AnySrcMd(kBf16), g.AnySrcMd(kF32), g.AnyDstMd(kBf16), g.AnyDstMd(kF32)};
  if (BlockedLayoutPays(g)) return {g.AnySrcMd(), g.AnySrcMd(), g.AnyDstMd(), g.AnyDstMd()};
  return {g.SrcMd(), g.SrcMd(), g.DstMd(), g.DstMd()};
}

dnnl::convolution_forward::primitive_desc ConvBackwardHint(const ConvGeom& g, const ConvLayouts& l) {
  dnnl::convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_direct, l.srcIn,
                                     g.AnyWeightsMd(), l.dstIn, g.Strides(), g.Dilates(), g.PadBefore(), g.PadAfter());
  return dnnl::convolution_forward::primitive_desc(fd, Engine());
}

// Which shapes run in bf16. Few channels leave AMX's tiles (16–32 channels wide) mostly padding,
// and LeNet-5's 1→6 and 6→16 layers are too small for bf16 to pay for converting their inputs.
bool ConvRunsInBf16(const ConvGeom& geom) {
  if (ComputePrecision() != Precision::kBf16) return false;
  if (geom.groups == 1 && (geom.inC < 16 || geom.outC < 16)) return false;
  ConvGeom g = geom;
  g.bf16 = true;
  Key key("conv_bf16_native");
  g.AddTo(key);
  // Cached as an entry of its own (cleared with the cache, rebuilt on the next call).
  auto verdict = Cached<bool>(key, [&] {
    const ConvLayouts l = ChooseConvLayouts(g);
    bool ok = false;
    try {
      const auto hint = ConvBackwardHint(g, l);
      dnnl::convolution_forward::desc fd(prop_kind::forward_inference, algorithm::convolution_direct, l.srcIn,
                                         g.AnyWeightsMd(), l.dstOut, g.Strides(), g.Dilates(), g.PadBefore(),
                                         g.PadAfter());
      dnnl::convolution_backward_data::desc dd(algorithm::convolution_direct, l.srcOut, g.AnyWeightsMd(), l.dstIn,
                                               g.Strides(), g.Dilates(), g.PadBefore(), g.PadAfter());
      dnnl::convolution_backward_weights::desc wd(algorithm::convolution_direct, l.srcIn, g.AnyWeightsMd(kF32),
                                                  l.dstIn, g.Strides(), g.Dilates(), g.PadBefore(), g.PadAfter());
      ok = IsNativeImpl(dnnl::convolution_forward::primitive_desc(fd, Engine())) &&
           IsNativeImpl(dnnl::convolution_backward_data::primitive_desc(dd, Engine(), hint)) &&
           IsNativeImpl(dnnl::convolution_backward_weights::primitive_desc(wd, Engine(), hint));
    } catch (const dnnl::error&) {
      ok = false;  // no bf16 implementation at all for this shape
    }
    return std::make_shared<bool>(ok);
  });
  return *verdict;
}

Napi::Value ConvForwardFromJs(const Napi::CallbackInfo& info, bool depthwise) {
  const int32_t* p = IntArrayArg(info, 4, kConvParams, "params");
  ConvGeom g = ConvGeom::From(p, depthwise ? p[3] : 1);
  g.bf16 = ConvRunsInBf16(g);
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

Napi::Value Conv2D(const Napi::CallbackInfo& info) { return ConvForwardFromJs(info, false); }

}  // namespace fmn
