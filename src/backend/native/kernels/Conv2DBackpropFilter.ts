/** Conv2DBackpropFilter (the weight gradient of conv2d) on oneDNN, written as HWIO. */
import * as tf from '@tensorflow/tfjs';
import { convParams, f32, nativeKernel, output, outputArray, plainGeometry, sizeOf } from './shared.ts';

type Shape4 = [number, number, number, number];

export const conv2DBackpropFilterConfig = nativeKernel(tf.Conv2DBackpropFilter, ({ inputs, backend, attrs }, native) => {
  const { x, dy } = inputs;
  const { filterShape, strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const xv = f32(backend, x);
  const dyv = f32(backend, dy);
  if (!xv || !dyv || dataFormat === 'NCHW') return null;
  const c = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filterShape as Shape4, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  if (!plainGeometry(c) || sizeOf(c.outShape) !== dyv.length) return null;
  const out = outputArray(backend, sizeOf(filterShape));
  native.conv2dBackpropFilter(xv, dyv, out, convParams(c));
  return output(backend, [...filterShape], out);
});
