// AvgPool forward, NHWC in and out.
#include "kernels.h"

namespace fmn {

// avgPool(x, y, params: Int32Array[12]). tfjs divides each window's sum by the number of
// in-bounds pixels only, which is oneDNN's pooling_avg_exclude_padding.
Napi::Value AvgPool(const Napi::CallbackInfo& info) {
  const PoolGeom g = PoolGeom::From(IntArrayArg(info, 2, kPoolParams, "params"));
  const float* x = FloatArg(info, 0, g.SrcSize(), "x");
  float* y = FloatArg(info, 1, g.DstSize(), "output");
  PoolForward(algorithm::pooling_avg_exclude_padding, g, x, y);
  return info.Env().Undefined();
}

}  // namespace fmn
