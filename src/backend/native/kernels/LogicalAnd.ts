/** a && b for bool tensors of one shape, as a typed-array loop (logic.ts); broadcasts on the cpu kernel. */
import * as tf from '@tensorflow/tfjs';
import { boolOutput, bools } from './logic.ts';
import { nativeKernel } from './shared.ts';

export const logicalAndConfig = nativeKernel(tf.LogicalAnd, ({ inputs, backend }) => {
  const { a, b } = inputs;
  const av = bools(backend, a);
  const bv = bools(backend, b);
  if (!av || !bv || !tf.util.arraysEqual(a.shape, b.shape)) return null;
  const out = new Uint8Array(av.length);
  for (let i = 0; i < av.length; i++) out[i] = av[i] & bv[i];
  return boolOutput(backend, a.shape, out);
});
