/** Conv2DBackpropInput (the input gradient of conv2d, and conv2dTranspose) on oneDNN. */
import * as tf from '@tensorflow/tfjs';
import { convParams, dataToken, f32, nativeKernel, output, outputArray, plainGeometry, sizeOf } from './shared.ts';

type Shape4 = [number, number, number, number];

export const conv2DBackpropInputConfig = nativeKernel(tf.Conv2DBackpropInput, ({ inputs, backend, attrs }, native) => {
  const { dy, filter } = inputs;
  const { inputShape, strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const dyv = f32(backend, dy);
  const wv = f32(backend, filter);
  if (!dyv || !wv || dataFormat === 'NCHW') return null;
  const c = tf.backend_util.computeConv2DInfo(inputShape as Shape4, filter.shape as Shape4, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  if (!plainGeometry(c) || sizeOf(c.outShape) !== dyv.length) return null;
  const out = outputArray(backend, sizeOf(c.inShape));
  native.conv2dBackpropInput(dyv, wv, out, convParams(c), dataToken(filter));
  return output(backend, [...c.inShape], out);
});
