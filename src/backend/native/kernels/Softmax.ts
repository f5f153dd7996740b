/** Softmax over the last axis on oneDNN. */
import * as tf from '@tensorflow/tfjs';
import { f32, nativeKernel, output, outputArray } from './shared.ts';

export const softmaxConfig = nativeKernel(tf.Softmax, ({ inputs, backend, attrs }, native) => {
  const { logits } = inputs;
  const { dim } = attrs as unknown as tf.SoftmaxAttrs;
  const v = f32(backend, logits);
  const rank = logits.shape.length;
  if (!v || rank < 1 || v.length === 0 || (dim !== -1 && dim !== rank - 1)) return null;
  const classes = logits.shape[rank - 1];
  const out = outputArray(backend, v.length);
  native.softmax(v, out, Int32Array.of(v.length / classes, classes));
  return output(backend, [...logits.shape], out);
});
