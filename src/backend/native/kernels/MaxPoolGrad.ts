/**
 * MaxPoolGrad natively: dx gets each dy at its window's winning pixel (first maximum, as tfjs;
 * see addon/max_pool_grad.cc). The winners are found again from `input`, so `output` (the
 * forward result tfjs also passes) is not needed.
 */
import * as tf from '@tensorflow/tfjs';
import { f32, nativeKernel, output, outputArray, plainPool, poolParams, sizeOf } from './shared.ts';

export const maxPoolGradConfig = nativeKernel(tf.MaxPoolGrad, ({ inputs, backend, attrs }, native) => {
  const { dy, input } = inputs;
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
  const dyv = f32(backend, dy);
  const xv = f32(backend, input);
  if (!dyv || !xv || input.shape.length !== 4) return null;
  const c = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  if (!plainPool(c) || sizeOf(c.outShape) !== dyv.length) return null;
  const out = outputArray(backend, xv.length);
  native.maxPoolGrad(dyv, xv, out, poolParams(c));
  return output(backend, [...input.shape], out);
});
