/**
 * swish(x) = x·sigmoid(x) as one kernel of our own (not a tfjs kernel name), for float32, in the
 * addon's unary loops. Called only on the native backend, by ../swish.ts; its gradient is SwishGrad.
 */
import { UNARY_OPS } from './elementwise.ts';
import { f32, nativeKernel, output, outputArray } from './shared.ts';

export const SWISH = 'FmnistSwish';

export const swishConfig = nativeKernel(SWISH, ({ inputs, backend }, native) => {
  const { x } = inputs;
  const v = f32(backend, x);
  if (!v) throw new Error(`${SWISH}: needs float32 input`);
  const out = outputArray(backend, v.length);
  native.unary(v, out, UNARY_OPS.swish, 0);
  return output(backend, [...x.shape], out);
});
