#include "common.h"

#include <omp.h>

#include <cstdlib>
#include <cstring>
#include <unordered_map>

namespace fmn {

dnnl::engine& Engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& Stream() {
  // CPU streams run primitives synchronously on the calling thread (plus OpenMP workers).
  static dnnl::stream stream(Engine());
  return stream;
}

// ---- JS arguments

static Napi::TypedArray TypedArg(const Napi::CallbackInfo& info, size_t i, napi_typedarray_type type,
                                 const char* typeName, const char* what) {
  if (i >= info.Length() || !info[i].IsTypedArray()) {
    throw Napi::TypeError::New(info.Env(), std::string(what) + ": expected a " + typeName);
  }
  Napi::TypedArray a = info[i].As<Napi::TypedArray>();
  if (a.TypedArrayType() != type) {
    throw Napi::TypeError::New(info.Env(), std::string(what) + ": expected a " + typeName);
  }
  return a;
}

float* FloatArg(const Napi::CallbackInfo& info, size_t i, int64_t expect, const char* what) {
  Napi::Float32Array a = TypedArg(info, i, napi_float32_array, "Float32Array", what).As<Napi::Float32Array>();
  if (static_cast<int64_t>(a.ElementLength()) != expect) {
    throw Napi::RangeError::New(info.Env(), std::string(what) + ": " + std::to_string(a.ElementLength()) +
                                                " elements, shape needs " + std::to_string(expect));
  }
  return a.Data();
}

float* OptionalFloatArg(const Napi::CallbackInfo& info, size_t i, int64_t expect, const char* what) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return FloatArg(info, i, expect, what);
}

const int32_t* IntArrayArg(const Napi::CallbackInfo& info, size_t i, size_t expect, const char* what) {
  Napi::Int32Array a = TypedArg(info, i, napi_int32_array, "Int32Array", what).As<Napi::Int32Array>();
  if (a.ElementLength() != expect) {
    throw Napi::RangeError::New(info.Env(), std::string(what) + ": expected " + std::to_string(expect) + " numbers");
  }
  return a.Data();
}

double NumberArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (i >= info.Length() || !info[i].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), std::string(what) + ": expected a number");
  }
  return info[i].As<Napi::Number>().DoubleValue();
}

// ---- cache

Key& Key::operator<<(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return *this << static_cast<int64_t>(bits);
}

// A training step of a mid-sized model needs ~5 entries per layer (forward, two backward,
// pooling, reorders live inside entries): 1024 covers 200 layers before a clear.
constexpr size_t kCacheCap = 1024;

static std::unordered_map<std::string, std::shared_ptr<void>>& CacheMap() {
  static std::unordered_map<std::string, std::shared_ptr<void>> map;
  return map;
}

std::shared_ptr<void>& CacheSlot(const std::string& key) {
  auto& map = CacheMap();
  auto it = map.find(key);
  if (it != map.end()) return it->second;
  if (map.size() >= kCacheCap) map.clear();
  return map[key];
}

size_t CacheSize() { return CacheMap().size(); }
void ClearCache() { CacheMap().clear(); }

// ---- threads

static int configuredThreads = 0;  // 0: not set yet, use OpenMP's default

int ConfiguredThreads() { return configuredThreads > 0 ? configuredThreads : omp_get_max_threads(); }

void SetConfiguredThreads(int n) {
  if (n == configuredThreads) return;
  configuredThreads = n;
  omp_set_num_threads(n);
  // Cached primitives were built for the old count (see ThreadScope).
  ClearCache();
}

ThreadScope::ThreadScope(int threads) : saved_(omp_get_max_threads()) {
  if (threads != saved_) omp_set_num_threads(threads);
}

ThreadScope::~ThreadScope() {
  if (omp_get_max_threads() != saved_) omp_set_num_threads(saved_);
}

// ---- precision

static Precision precision = Precision::kF32;

Precision ComputePrecision() { return precision; }

void SetComputePrecision(Precision p) {
  if (p == precision) return;
  precision = p;
  ClearCache();  // entries hold primitives and prepared weights of the other precision
}

// ---- ports

// Grow-only scratch arenas for tensors in internal layouts: one for a primitive's input, one for
// its output, one for expanded weights (conv2d.cc). They only grow (to the largest size seen), so
// steady state never allocates.
void* ScratchArena(Buffer which, size_t bytes) {
  struct Arena {
    void* p = nullptr;
    size_t size = 0;
    ~Arena() { std::free(p); }
  };
  static Arena arenas[4];
  Arena& a = arenas[static_cast<int>(which)];
  if (a.size < bytes) {
    std::free(a.p);
    a.p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!a.p) throw std::bad_alloc();
    a.size = bytes;
  }
  return a.p;
}

std::pair<memory, bool> TokenSlots::Get(double token, const memory::desc& md) {
  clock_++;
  Slot* pick = &slots_[0];
  for (Slot& s : slots_) {
    if (token != 0 && s.token == token) {
      s.used = clock_;
      return {s.mem, true};
    }
    if (s.used < pick->used) pick = &s;  // least recently used (never used first)
  }
  if (!pick->mem) pick->mem = memory(md, Engine());
  pick->token = token;
  pick->used = clock_;
  return {pick->mem, false};
}

Port::Port(const memory::desc& userMd, const memory::desc& wantMd, bool input, Buffer buf)
    : user(userMd), want(wantMd), reorder(userMd != wantMd), buffer(buf) {
  if (!reorder) return;
  if (buffer == Buffer::kOwned && !input) owned = memory(want, Engine());
  // Reorder primitives are bound to descriptors, not data: create once, run with any pointers.
  const memory any(want, Engine(), DNNL_MEMORY_NONE);
  const memory u(user, Engine(), DNNL_MEMORY_NONE);
  if (input) {
    toWant = dnnl::reorder(u, any);
  } else {
    toUser = dnnl::reorder(any, u);
  }
}

memory Port::Internal() {
  if (buffer == Buffer::kOwned) return owned;
  return memory(want, Engine(), ScratchArena(buffer, want.get_size()));
}

memory Port::In(const float* p, double token) {
  memory u = Wrap(user, p);
  if (!reorder) return u;
  if (buffer == Buffer::kOwned) {
    auto [mem, ready] = prepared.Get(token, want);
    if (!ready) toWant.execute(Stream(), u, mem);
    return mem;
  }
  memory internal = Internal();
  toWant.execute(Stream(), u, internal);
  return internal;
}

memory Port::Target(float* p) { return reorder ? Internal() : Wrap(user, p); }

void Port::Out(float* p) {
  if (!reorder) return;
  memory internal = Internal();  // the same arena/buffer Target returned
  memory u = Wrap(user, p);
  toUser.execute(Stream(), internal, u);
}

// ---- activations

bool ActivationAlg(int act, float leakyAlpha, algorithm* alg, float* alpha, float* beta) {
  *alpha = 0.f;
  *beta = 0.f;
  switch (act) {
    case kLinear: return false;
    case kRelu: *alg = algorithm::eltwise_relu; return true;
    case kRelu6: *alg = algorithm::eltwise_clip; *alpha = 0.f; *beta = 6.f; return true;
    case kElu: *alg = algorithm::eltwise_elu; *alpha = 1.f; return true;
    case kSigmoid: *alg = algorithm::eltwise_logistic; return true;
    // oneDNN's relu with alpha is x > 0 ? x : alpha*x; tfjs' leakyRelu is x < 0 ? alpha*x : x (same at 0).
    case kLeakyRelu: *alg = algorithm::eltwise_relu; *alpha = leakyAlpha; return true;
    default: throw std::invalid_argument("unknown activation code " + std::to_string(act));
  }
}

dnnl::primitive_attr ActivationAttr(int act, float leakyAlpha) {
  dnnl::primitive_attr attr;
  algorithm alg;
  float alpha, beta;
  if (ActivationAlg(act, leakyAlpha, &alg, &alpha, &beta)) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.f, alg, alpha, beta);
    attr.set_post_ops(ops);
  }
  return attr;
}

// ---- geometry

ConvGeom ConvGeom::From(const int32_t* p, int64_t groups) {
  ConvGeom g{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14]};
  g.groups = groups;
  g.Validate();
  return g;
}

void ConvGeom::Validate() const {
  const bool ok = n > 0 && inH > 0 && inW > 0 && inC > 0 && outH > 0 && outW > 0 && outC > 0 && kH > 0 &&
                  kW > 0 && sH > 0 && sW > 0 && dH > 0 && dW > 0 && padT >= 0 && padL >= 0 && groups > 0 &&
                  inC % groups == 0 && outC % groups == 0 &&
                  (inH + padT + PadB() - (kH - 1) * dH - 1) / sH + 1 == outH &&
                  (inW + padL + PadR() - (kW - 1) * dW - 1) / sW + 1 == outW;
  if (!ok) throw std::invalid_argument("inconsistent convolution geometry");
}

memory::desc ConvGeom::SrcMd() const { return memory::desc({n, inC, inH, inW}, kF32, Tag::nhwc); }
memory::desc ConvGeom::DstMd() const { return memory::desc({n, outC, outH, outW}, kF32, Tag::nhwc); }

memory::desc ConvGeom::AnySrcMd(memory::data_type t) const { return memory::desc({n, inC, inH, inW}, t, Tag::any); }
memory::desc ConvGeom::AnyDstMd(memory::data_type t) const { return memory::desc({n, outC, outH, outW}, t, Tag::any); }

bool BlockedLayoutPays(const ConvGeom& g) {
  // oneDNN 2.6's AVX2 kernels for the blocked layout (8 channels per vector) reach 100–115 GFLOP/s
  // on VGG16's 3x3 layers (64–512 channels) on this 2-core machine, against 80–100 in NHWC, which
  // more than pays for reordering the activations in and out (memory-bound, ~3% of the time there).
  // With few channels (LeNet-5's 1→6, 6→16) blocking pads channels to 8 and the reorders dominate:
  // 2–3x slower than NHWC. FMNIST_NATIVE_CONV_LAYOUT=blocked|nhwc overrides (for measurements).
  static const char* force = std::getenv("FMNIST_NATIVE_CONV_LAYOUT");
  if (force) return std::string(force) == "blocked";
  return g.groups == 1 && g.inC >= 32 && g.outC >= 32;
}

memory::desc ConvGeom::UserWeightsMd() const {
  if (groups == 1) return memory::desc({outC, inC, kH, kW}, kF32, Tag::hwio);
  // Depthwise HWC1 = (kH, kW, inC, multiplier): with groups = inC, that is hwigo with i = 1,
  // g = inC, o = multiplier, and output channel g*multiplier + o, exactly tfjs' ordering.
  return memory::desc({groups, outC / groups, inC / groups, kH, kW}, kF32, Tag::hwigo);
}

memory::desc ConvGeom::AnyWeightsMd(memory::data_type t) const {
  if (groups == 1) return memory::desc({outC, inC, kH, kW}, t, Tag::any);
  return memory::desc({groups, outC / groups, inC / groups, kH, kW}, t, Tag::any);
}

void ConvGeom::AddTo(Key& k) const {
  k << n << inH << inW << inC << outH << outW << outC << kH << kW << sH << sW << dH << dW << padT << padL << groups
    << static_cast<int64_t>(bf16);
}

PoolGeom PoolGeom::From(const int32_t* p) {
  PoolGeom g{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11]};
  g.Validate();
  return g;
}

void PoolGeom::Validate() const {
  const bool ok = n > 0 && inH > 0 && inW > 0 && c > 0 && outH > 0 && outW > 0 && kH > 0 && kW > 0 && sH > 0 &&
                  sW > 0 && padT >= 0 && padL >= 0 && padT < kH && padL < kW && (inH + padT + PadB() - kH) / sH + 1 == outH &&
                  (inW + padL + PadR() - kW) / sW + 1 == outW;
  if (!ok) throw std::invalid_argument("inconsistent pooling geometry");
}

memory::desc PoolGeom::SrcMd() const { return memory::desc({n, c, inH, inW}, kF32, Tag::nhwc); }
memory::desc PoolGeom::DstMd() const { return memory::desc({n, c, outH, outW}, kF32, Tag::nhwc); }

void PoolGeom::AddTo(Key& k) const {
  k << n << inH << inW << c << outH << outW << kH << kW << sH << sW << padT << padL;
}

}  // namespace fmn
