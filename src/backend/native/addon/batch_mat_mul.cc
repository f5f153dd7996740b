// BatchMatMul and _FusedMatMul: out[b] = act(op(A[b]) · op(B[b]) + bias), where op transposes when
// asked. Transposes are expressed as strides, so no float32 operand is ever copied (bf16 ones are converted).
#include "kernels.h"

namespace fmn {

namespace {

struct MatMul {
  dnnl::matmul prim;
  memory::desc a, b, bias, out;
  // Where the primitive reads A and B: as given (float32), or converted to contiguous bf16 in scratch.
  Port srcA, srcB;
};

// A row-major [batch, rows, cols] operand seen as [batch, rows', cols'] = transposed when `t`.
memory::desc OperandMd(int64_t batch, int64_t rows, int64_t cols, bool t) {
  // dims are the logical (after-transpose) shape; strides say where each element really is.
  if (!t) return memory::desc({batch, rows, cols}, kF32, Dims{rows * cols, cols, 1});
  return memory::desc({batch, rows, cols}, kF32, Dims{rows * cols, 1, rows});
}

// Products below this many multiply-adds ×2 stay float32 in bf16 mode: converting the operands
// costs more than AMX saves (a classifier head: 64×512 · 512×10 is 0.7 MFLOP).
constexpr double kBf16MatMulMinFlops = 32e6;

std::shared_ptr<MatMul> MakeMatMul(int64_t batchA, int64_t batchB, int64_t m, int64_t k, int64_t n, bool transA,
                                   bool transB, bool hasBias, int act, float alpha) {
  auto e = std::make_shared<MatMul>();
  const int64_t batch = std::max(batchA, batchB);
  // A is stored [batchA, K, M] when transposed, B [batchB, N, K].
  e->a = OperandMd(batchA, m, k, transA);
  e->b = OperandMd(batchB, k, n, transB);
  e->out = memory::desc({batch, m, n}, kF32, Tag::abc);
  e->bias = hasBias ? memory::desc({1, 1, n}, kF32, Tag::abc) : memory::desc();
  const auto attr = ActivationAttr(act, alpha);
  if (ComputePrecision() == Precision::kBf16 && 2.0 * batch * m * n * k >= kBf16MatMulMinFlops) {
    const memory::desc a16({batchA, m, k}, kBf16, Tag::abc), b16({batchB, k, n}, kBf16, Tag::abc);
    try {
      dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a16, b16, e->bias, e->out), attr, Engine());
      if (IsNativeImpl(pd)) {
        e->prim = dnnl::matmul(pd);
        e->srcA = Port(e->a, a16, true, Buffer::kScratchIn);
        e->srcB = Port(e->b, b16, true, Buffer::kScratchWeights);
        return e;
      }
    } catch (const dnnl::error&) {
      // no bf16 matmul for these shapes: float32 below
    }
  }
  e->prim = dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(e->a, e->b, e->bias, e->out), attr, Engine()));
  e->srcA = Port(e->a, e->a, true);
  e->srcB = Port(e->b, e->b, true);
  return e;
}

}  // namespace

// batchMatMul(a, b, bias | null, out, params: Int32Array[7], activation, leakyreluAlpha)
// params: [batchA, batchB, M, K, N, transposeA, transposeB]; the batches must be equal or one of
// them 1 (broadcast). a holds batchA·M·K values, b batchB·K·N, bias N, out max(batch)·M·N.
Napi::Value BatchMatMul(const Napi::CallbackInfo& info) {
  const int32_t* p = IntArrayArg(info, 4, 7, "params");
  const int64_t batchA = p[0], batchB = p[1], m = p[2], k = p[3], n = p[4];
  const bool transA = p[5] != 0, transB = p[6] != 0;
  if (batchA <= 0 || batchB <= 0 || m <= 0 || k <= 0 || n <= 0 ||
      !(batchA == batchB || batchA == 1 || batchB == 1)) {
    throw Napi::RangeError::New(info.Env(), "batchMatMul: inconsistent shapes");
  }
  const int64_t batch = std::max(batchA, batchB);
  const float* a = FloatArg(info, 0, batchA * m * k, "a");
  const float* b = FloatArg(info, 1, batchB * k * n, "b");
  const float* bias = OptionalFloatArg(info, 2, n, "bias");
  float* out = FloatArg(info, 3, batch * m * n, "output");
  const int act = static_cast<int>(NumberArg(info, 5, "activation"));
  const float alpha = static_cast<float>(NumberArg(info, 6, "leakyreluAlpha"));

  Key key("matmul");
  key << batchA << batchB << m << k << n << static_cast<int64_t>(transA) << static_cast<int64_t>(transB)
      << static_cast<int64_t>(bias != nullptr) << static_cast<int64_t>(act) << alpha;
  ThreadScope threads(ThreadsFor(2.0 * batch * m * n * k));
  auto e = Cached<MatMul>(key, [&] { return MakeMatMul(batchA, batchB, m, k, n, transA, transB, bias, act, alpha); });
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, e->srcA.In(a)},
      {DNNL_ARG_WEIGHTS, e->srcB.In(b)},
      {DNNL_ARG_DST, Wrap(e->out, out)},
  };
  if (bias) args.emplace(DNNL_ARG_BIAS, Wrap(e->bias, bias));
  e->prim.execute(Stream(), args);
  Stream().wait();
  return info.Env().Undefined();
}

}  // namespace fmn
