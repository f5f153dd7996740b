// Module entry: registers the kernels and the thread/cache controls.
//
// Threads: Debian's libdnnl 2.6 is built with DNNL_CPU_RUNTIME=OMP (see dnnl_config.h), so oneDNN
// runs its primitives on libgomp's thread pool, whose size omp_set_num_threads sets for every
// later parallel region (oneDNN reads it at each execute).
#include <omp.h>

#include "kernels.h"

namespace fmn {

namespace {

// node-addon-api only converts Napi::Error into JS exceptions; anything else escaping a callback
// would terminate the process. oneDNN reports unsupported shapes/layouts as dnnl::error.
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value Guarded(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const dnnl::error& e) {
    throw Napi::Error::New(info.Env(), std::string("oneDNN: ") + e.what());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

// setNumThreads(n) → the thread count now in use.
Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  const int n = static_cast<int>(NumberArg(info, 0, "threads"));
  if (n > 0) SetConfiguredThreads(n);
  return Napi::Number::New(info.Env(), ConfiguredThreads());
}

// The instruction set oneDNN dispatches to on this CPU (after ONEDNN_MAX_CPU_ISA, if set).
const char* IsaName(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_mic: return "avx512_mic";
    case dnnl::cpu_isa::avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

// setPrecision('fp32' | 'bf16') → the precision now in use.
Napi::Value SetPrecision(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(info.Env(), "precision: expected a string");
  const std::string p = info[0].As<Napi::String>().Utf8Value();
  if (p != "fp32" && p != "bf16") throw Napi::RangeError::New(info.Env(), "precision: fp32 or bf16, got '" + p + "'");
  SetComputePrecision(p == "bf16" ? Precision::kBf16 : Precision::kF32);
  return Napi::String::New(info.Env(), p);
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  const dnnl_version_t* v = dnnl_version();
  o.Set("onednn", std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch));
  o.Set("runtime", "openmp");
  o.Set("threads", ConfiguredThreads());
  o.Set("cachedPrimitives", static_cast<double>(CacheSize()));
  o.Set("isa", IsaName(dnnl::get_effective_cpu_isa()));
  o.Set("precision", ComputePrecision() == Precision::kBf16 ? "bf16" : "fp32");
  return o;
}

Napi::Value ClearPrimitiveCache(const Napi::CallbackInfo& info) {
  ClearCache();
  return info.Env().Undefined();
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto add = [&](const char* name, Napi::Value (*f)(const Napi::CallbackInfo&)) {
    exports.Set(name, Napi::Function::New(env, f, name));
  };
  add("setNumThreads", Guarded<SetNumThreads>);
  add("info", Guarded<Info>);
  add("setPrecision", Guarded<SetPrecision>);
  add("clearCache", Guarded<ClearPrimitiveCache>);
  add("conv2d", Guarded<Conv2D>);
  add("conv2dBackpropInput", Guarded<Conv2DBackpropInput>);
  add("conv2dBackpropFilter", Guarded<Conv2DBackpropFilter>);
  add("depthwiseConv2d", Guarded<DepthwiseConv2D>);
  add("depthwiseConv2dBackpropInput", Guarded<DepthwiseConv2DBackpropInput>);
  add("depthwiseConv2dBackpropFilter", Guarded<DepthwiseConv2DBackpropFilter>);
  add("maxPool", Guarded<MaxPool>);
  add("avgPool", Guarded<AvgPool>);
  add("maxPoolGrad", Guarded<MaxPoolGrad>);
  add("avgPoolGrad", Guarded<AvgPoolGrad>);
  add("batchMatMul", Guarded<BatchMatMul>);
  add("fusedBatchNorm", Guarded<FusedBatchNorm>);
  add("batchNormTrain", Guarded<BatchNormTrain>);
  add("batchNormTrainGrad", Guarded<BatchNormTrainGrad>);
  add("softmax", Guarded<Softmax>);
  add("eltwise", Guarded<Eltwise>);
  add("sum", Guarded<Sum>);
  add("binary", Guarded<Binary>);
  add("unary", Guarded<Unary>);
  add("activationGrad", Guarded<ActivationGrad>);
  add("adam", Guarded<Adam>);
  return exports;
}

}  // namespace fmn

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return fmn::Init(env, exports); }

NODE_API_MODULE(fmnist_native, InitModule)
