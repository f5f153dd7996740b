// Shared plumbing for the oneDNN kernels: the engine and stream, argument checks, a primitive
// cache, and the geometry of convolutions and poolings as the TypeScript side passes it.
//
// Conventions (all kernels):
// - Tensors are float32, laid out as tfjs keeps them: NHWC activations, HWIO conv weights,
//   HWC1 (H, W, inC, multiplier) depthwise weights, row-major matrices.
// - JS passes Float32Arrays that alias the cpu backend's storage (no copy) and a preallocated
//   Float32Array for each output; C++ fills it. Every array length is checked against the shape
//   before any pointer is used, so a shape bug on the JS side throws instead of corrupting memory.
// - All calls come from the JS main thread, so the cache and the scratch buffers in cache entries
//   need no locking. Parallelism is inside oneDNN (OpenMP) and in our own `omp parallel for`s.
#pragma once

#include <napi.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace fmn {

using dnnl::algorithm;
using dnnl::memory;
using dnnl::prop_kind;
using Tag = memory::format_tag;
using Dims = memory::dims;
constexpr memory::data_type kF32 = memory::data_type::f32;
constexpr memory::data_type kBf16 = memory::data_type::bf16;

dnnl::engine& Engine();
dnnl::stream& Stream();

// ---- JS arguments ------------------------------------------------------------------------------

// The data of Float32Array argument i, which must hold exactly `expect` elements.
float* FloatArg(const Napi::CallbackInfo& info, size_t i, int64_t expect, const char* what);
// As FloatArg, but null/undefined gives nullptr.
float* OptionalFloatArg(const Napi::CallbackInfo& info, size_t i, int64_t expect, const char* what);
// The data of Int32Array argument i, which must hold exactly `expect` elements.
const int32_t* IntArrayArg(const Napi::CallbackInfo& info, size_t i, size_t expect, const char* what);
double NumberArg(const Napi::CallbackInfo& info, size_t i, const char* what);

// A dnnl::memory over caller-owned data (no copy; oneDNN never frees it).
inline memory Wrap(const memory::desc& md, const float* p) {
  return memory(md, Engine(), const_cast<float*>(p));
}

// ---- primitive cache ---------------------------------------------------------------------------
// Creating a oneDNN primitive descriptor and JIT-compiling its kernel costs 0.1–10 ms; a training
// step runs the same few dozen shapes thousands of times. Entries are keyed by a string of the
// kernel name and every shape/attribute number, and hold the primitive plus whatever it needs
// between calls (reorders, internal-format weight buffers, workspaces).

class Key {
 public:
  explicit Key(const char* kernel) : s_(kernel) {}
  Key& operator<<(int64_t v) {
    s_ += ',';
    s_ += std::to_string(v);
    return *this;
  }
  Key& operator<<(float v);  // bit pattern, so distinct alphas never collide
  const std::string& str() const { return s_; }

 private:
  std::string s_;
};

// The slot for `key` (empty on a miss). When the cache reaches its cap it is cleared: a workload
// uses a stable set of shapes, so this only happens when shapes churn (e.g. varying batch sizes).
std::shared_ptr<void>& CacheSlot(const std::string& key);
size_t CacheSize();
void ClearCache();

// The cached entry for `key`, made by `make()` (returning std::shared_ptr<T>) on a miss. Returns a
// shared_ptr so a later miss that clears the cache cannot free an entry still in use.
template <class T, class Make>
std::shared_ptr<T> Cached(const Key& key, Make make) {
  std::shared_ptr<void>& slot = CacheSlot(key.str());
  if (!slot) {
    std::shared_ptr<T> made = make();
    // Re-fetch: `make` may itself have used the cache and rehashed the map.
    CacheSlot(key.str()) = made;
    return made;
  }
  return std::static_pointer_cast<T>(slot);
}

// ---- compute precision -------------------------------------------------------------------------
// Mixed precision as Keras' `mixed_bfloat16` policy: with kBf16, convolutions (all three passes) and
// large matrix products read bf16 copies of their inputs and weights (rounded to nearest even by
// the reorder that also changes their layout) and write float32, accumulating in float32 inside
// oneDNN. Everything stored in tfjs (weights, activations, gradients, optimizer state, batch-norm
// statistics) stays float32, so a saved model is a plain float32 model. Where oneDNN has no native
// bf16 kernel for a shape (it would run its reference code, far slower than f32) that primitive
// stays float32: see ConvRunsInBf16 (conv2d.cc). Changing the precision clears the cache.
enum class Precision { kF32, kBf16 };
Precision ComputePrecision();
void SetComputePrecision(Precision p);
// Whether a primitive descriptor is one of oneDNN's optimised kernels (its name is not "ref:…").
template <class PD>
bool IsNativeImpl(const PD& pd) {
  return std::string(pd.impl_info_str()).rfind("ref", 0) != 0;
}

// ---- threads per primitive ----------------------------------------------------------------------
// Waking OpenMP workers costs ~5–20 µs on an idle machine, and up to a scheduler time slice (ms)
// when other processes hold the cores; so primitives with little work run on the calling thread
// alone. `work` is roughly the FLOPs a primitive does (memory-bound ones count ~10 per element
// touched); below kSerialWork (~30–50 µs on one AVX2 core) one thread is used.
// oneDNN fixes a convolution's thread split when the primitive is created, so the same count must
// be in force at creation and at every execution: kernels derive it from the shape (part of the
// cache key) and run both under a ThreadScope; changing the configured count clears the cache.
constexpr double kSerialWork = 1.5e6;

// The thread count setNumThreads chose (all OpenMP parallelism in the addon uses at most this).
int ConfiguredThreads();
void SetConfiguredThreads(int n);
inline int ThreadsFor(double work) { return work < kSerialWork ? 1 : ConfiguredThreads(); }

// Memory-bound loops (elementwise arithmetic, sums, batch norm, Adam) split over threads only from
// this many elements (4 MiB of floats): a second core adds little to them (both share the memory
// bus), while every fork/join waits for a sleeping worker to be scheduled, up to a time slice
// when other processes hold the cores. Measured on a ResNet152V2 training step at 32x32, batch
// 32, load ~9 on 2 cores: the elementwise kernels took 2.3 s of a 9.8 s step on 2 threads from
// 64Ki elements up, 0.5 s of 5.8 s on 1 thread.
constexpr int64_t kMemoryBoundParallelMin = 1 << 20;

// Sets OpenMP's thread count for the current scope (creation or execution of one primitive).
class ThreadScope {
 public:
  explicit ThreadScope(int threads);
  ~ThreadScope();
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

 private:
  int saved_;
};

// ---- tensors in a primitive's preferred layout -------------------------------------------------
// A Port connects a tensor in tfjs' layout (`user`) with the layout a primitive chose (`want`,
// from an `any` descriptor), reordering when they differ. Weights: primitives are always created
// with `any` weights so oneDNN picks its blocked layout (e.g. OIhw8i8o for AVX2); weights are small
// next to activations, their internal copies are owned by the cache entry (TokenSlots below), and
// a gradient's by the entry too. Activations: kept NHWC unless a blocked layout pays
// (BlockedLayoutPays); their internal copies live in a scratch arena shared by all entries (calls
// never overlap), so the cache does not pin an activation-sized buffer per layer.
enum class Buffer { kOwned, kScratchIn, kScratchOut, kScratchWeights };

// A grow-only, 64-byte-aligned scratch arena of at least `bytes` (one per Buffer kind but kOwned).
void* ScratchArena(Buffer which, size_t bytes);

// Prepared copies of weights, remembered by the tfjs tensor they came from. tfjs tensors are
// immutable (a Variable's update gives it a new tensor), so JS passes a token naming the source
// tensor (unique per tfjs data id, never reused; 0 = unknown) and a copy made for that token stays
// valid: a model run batch after batch (predict splits into batches of 32) reorders or expands
// its weights once instead of at every call. A few slots, because layers with the same geometry
// share one cache entry (VGG16's conv4_2/conv4_3; conv5_1..3 in conv2d.cc's dense form).
class TokenSlots {
 public:
  explicit TokenSlots(int capacity = 2) : slots_(capacity) {}
  // Memory (of layout `md`) for `token`'s prepared data, and whether it already holds it.
  std::pair<memory, bool> Get(double token, const memory::desc& md);

 private:
  struct Slot {
    double token = 0;
    uint64_t used = 0;
    memory mem;
  };
  std::vector<Slot> slots_;
  uint64_t clock_ = 0;
};

struct Port {
  memory::desc user;  // tfjs layout
  memory::desc want;  // the primitive's layout
  bool reorder = false;
  Buffer buffer = Buffer::kOwned;
  dnnl::reorder toWant, toUser;
  memory owned;        // Buffer::kOwned output: internal-format buffer, allocated once per entry
  TokenSlots prepared;  // Buffer::kOwned input: reordered copies by source tensor

  Port() = default;
  Port(const memory::desc& userMd, const memory::desc& wantMd, bool input, Buffer buffer = Buffer::kOwned);
  // What the primitive reads (reordered from `p` if needed; `token` names the tensor p belongs to).
  memory In(const float* p, double token = 0);
  // Where the primitive should write; call Out(p) after executing.
  memory Target(float* p);
  void Out(float* p);

 private:
  memory Internal();
};

// ---- fused activations -----------------------------------------------------------------------------
// Codes shared with src/backend/native/addon.ts. Semantics as tfjs defines them:
// relu max(x,0); relu6 min(max(x,0),6); elu x>0 ? x : exp(x)-1; sigmoid 1/(1+exp(-x));
// leakyrelu x<0 ? alpha*x : x. prelu (per-element weights) is applied on the JS side.
enum Activation : int { kLinear = 0, kRelu = 1, kRelu6 = 2, kElu = 3, kSigmoid = 4, kLeakyRelu = 5 };
// The eltwise algorithm and its alpha/beta for an activation code (false for linear).
bool ActivationAlg(int act, float leakyAlpha, algorithm* alg, float* alpha, float* beta);
dnnl::primitive_attr ActivationAttr(int act, float leakyAlpha);

// ---- convolution / pooling geometry ----------------------------------------------------------------
// Int32Array layout from the JS side (see convParams in src/backend/native/kernels/shared.ts):
// [n, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, dilationH, dilationW, padTop, padLeft]
// Dilation is tfjs' (1 = dense). The bottom/right padding is derived: oneDNN requires
// (in + padBefore + padAfter - effectiveKernel) / stride + 1 == out exactly, and tfjs' own bottom
// padding (for 'same' or ceil rounding) can exceed what that needs by up to stride-1 rows, and
// the consistency check is then done here (Validate) rather than by oneDNN's message.
constexpr size_t kConvParams = 15;

struct ConvGeom {
  int64_t n, inH, inW, inC, outH, outW, outC, kH, kW, sH, sW, dH, dW, padT, padL;
  int64_t groups = 1;
  bool bf16 = false;  // the passes read bf16 inputs and weights (set by ConvRunsInBf16's caller)

  static ConvGeom From(const int32_t* p, int64_t groups);
  // Rows/columns of padding past the end that the last window reaches; never negative (with
  // 'valid' and a stride that does not divide, the last rows are simply not reached).
  int64_t PadB() const { return std::max<int64_t>(0, (outH - 1) * sH + (kH - 1) * dH + 1 - inH - padT); }
  int64_t PadR() const { return std::max<int64_t>(0, (outW - 1) * sW + (kW - 1) * dW + 1 - inW - padL); }
  Dims Strides() const { return {sH, sW}; }
  Dims Dilates() const { return {dH - 1, dW - 1}; }  // oneDNN counts skipped pixels: 0 = dense
  Dims PadBefore() const { return {padT, padL}; }
  Dims PadAfter() const { return {PadB(), PadR()}; }
  int64_t SrcSize() const { return n * inH * inW * inC; }
  int64_t DstSize() const { return n * outH * outW * outC; }
  int64_t WeightsSize() const { return kH * kW * (inC / groups) * outC; }
  // Multiply-adds ×2 of the forward pass; each backward pass does the same amount.
  double Flops() const { return 2.0 * n * outH * outW * outC * kH * kW * (inC / groups); }
  memory::desc SrcMd() const;          // {n, inC, inH, inW} as nhwc
  memory::desc DstMd() const;          // {n, outC, outH, outW} as nhwc
  memory::data_type InType() const { return bf16 ? kBf16 : kF32; }  // what the passes read
  // The primitive picks the layout (a blocked one, e.g. nChw8c), in type t.
  memory::desc AnySrcMd(memory::data_type t = kF32) const;
  memory::desc AnyDstMd(memory::data_type t = kF32) const;
  memory::desc UserWeightsMd() const;  // HWIO, or HWC1 read as hwigo for groups > 1
  memory::desc AnyWeightsMd(memory::data_type t) const;
  memory::desc AnyWeightsMd() const { return AnyWeightsMd(InType()); }
  void AddTo(Key& k) const;
  void Validate() const;  // throws on nonsensical numbers (before oneDNN sees them)
};

// [n, inH, inW, c, outH, outW, kH, kW, strideH, strideW, padTop, padLeft]
constexpr size_t kPoolParams = 12;

// Whether a convolution runs faster on oneDNN's blocked activation layout (nChw8c), reordering
// NHWC in and out, than on NHWC directly. See conv2d.cc.
bool BlockedLayoutPays(const ConvGeom& g);

struct PoolGeom {
  int64_t n, inH, inW, c, outH, outW, kH, kW, sH, sW, padT, padL;
  static PoolGeom From(const int32_t* p);
  int64_t PadB() const { return std::max<int64_t>(0, (outH - 1) * sH + kH - inH - padT); }
  int64_t PadR() const { return std::max<int64_t>(0, (outW - 1) * sW + kW - inW - padL); }
  int64_t SrcSize() const { return n * inH * inW * c; }
  int64_t DstSize() const { return n * outH * outW * c; }
  double Work() const { return 10.0 * (SrcSize() + DstSize()); }  // memory-bound: see ThreadsFor
  memory::desc SrcMd() const;
  memory::desc DstMd() const;
  void AddTo(Key& k) const;
  void Validate() const;
};

}  // namespace fmn
