/**
 * The gradient of swish, dy·s·(1 + x·(1 − s)) with s = sigmoid(x), as one kernel of our own, for
 * float32 dy and x of one size (addon/activation_grad.cc). Called only by ../swish.ts.
 */
import { ACTIVATION_GRAD_OPS } from './elementwise.ts';
import { f32, nativeKernel, output, outputArray } from './shared.ts';

export const SWISH_GRAD = 'FmnistSwishGrad';

export const swishGradConfig = nativeKernel(SWISH_GRAD, ({ inputs, backend }, native) => {
  const { dy, x } = inputs;
  const dv = f32(backend, dy);
  const xv = f32(backend, x);
  if (!dv || !xv || dv.length !== xv.length) throw new Error(`${SWISH_GRAD}: needs float32 dy and x of one size`);
  const out = outputArray(backend, dv.length);
  native.activationGrad(dv, xv, out, ACTIVATION_GRAD_OPS.swish);
  return output(backend, [...dy.shape], out);
});
