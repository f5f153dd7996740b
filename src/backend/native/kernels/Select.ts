/**
 * where(condition, t, e) for a bool condition and float32 t, e all of one shape, as a typed-array
 * loop (logic.ts: the gradient of clipping); other shapes and dtypes on the cpu kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { bools } from './logic.ts';
import { f32, nativeKernel, output, outputArray } from './shared.ts';

export const selectConfig = nativeKernel(tf.Select, ({ inputs, backend }) => {
  const { condition, t, e } = inputs;
  const c = bools(backend, condition);
  const tv = f32(backend, t);
  const ev = f32(backend, e);
  if (!c || !tv || !ev || !tf.util.arraysEqual(condition.shape, t.shape) || !tf.util.arraysEqual(t.shape, e.shape)) return null;
  const out = outputArray(backend, tv.length);
  for (let i = 0; i < out.length; i++) out[i] = c[i] ? tv[i] : ev[i];
  return output(backend, t.shape, out);
});
