/**
 * AvgPoolGrad on oneDNN: each dy spread evenly over its window. Like the tfjs cpu kernel, every
 * window divides by the full filter area, padding included (see addon/avg_pool_grad.cc).
 */
import * as tf from '@tensorflow/tfjs';
import { f32, nativeKernel, output, outputArray, plainPool, poolParams, sizeOf } from './shared.ts';

export const avgPoolGradConfig = nativeKernel(tf.AvgPoolGrad, ({ inputs, backend, attrs }, native) => {
  const { dy, input } = inputs;
  const { filterSize, strides, pad } = attrs as unknown as tf.AvgPoolGradAttrs;
  const dyv = f32(backend, dy);
  if (!dyv || input.shape.length !== 4) return null;
  const c = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad);
  if (!plainPool(c) || sizeOf(c.outShape) !== dyv.length) return null;
  const out = outputArray(backend, sizeOf(input.shape));
  native.avgPoolGrad(dyv, out, poolParams(c));
  return output(backend, [...input.shape], out);
});
