/** Conv2D on oneDNN: NHWC input, HWIO filter, any strides/dilations/padding. */
import * as tf from '@tensorflow/tfjs';
import { convParams, dataToken, f32, nativeKernel, output, outputArray, plainGeometry, sizeOf } from './shared.ts';

type Shape4 = [number, number, number, number];

export const conv2DConfig = nativeKernel(tf.Conv2D, ({ inputs, backend, attrs }, native) => {
  const { x, filter } = inputs;
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as unknown as tf.Conv2DAttrs;
  const xv = f32(backend, x);
  const wv = f32(backend, filter);
  if (!xv || !wv || dataFormat === 'NCHW') return null;
  const c = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filter.shape as Shape4, strides, dilations, pad, dimRoundingMode, false, 'channelsLast');
  if (!plainGeometry(c)) return null;
  const out = outputArray(backend, sizeOf(c.outShape));
  native.conv2d(xv, wv, null, out, convParams(c), 0, 0, dataToken(filter));
  return output(backend, c.outShape, out);
});
