/** MaxPool on oneDNN (NHWC). Padded positions never win, as in tfjs. */
import * as tf from '@tensorflow/tfjs';
import { f32, nativeKernel, output, outputArray, plainPool, poolParams, sizeOf } from './shared.ts';

export const maxPoolConfig = nativeKernel(tf.MaxPool, ({ inputs, backend, attrs }, native) => {
  const { x } = inputs;
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolAttrs;
  const xv = f32(backend, x);
  if (!xv || x.shape.length !== 4) return null;
  const c = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  if (!plainPool(c)) return null;
  const out = outputArray(backend, sizeOf(c.outShape));
  native.maxPool(xv, out, poolParams(c));
  return output(backend, c.outShape, out);
});
