/** DepthwiseConv2dNative on oneDNN (a grouped convolution, one group per input channel). */
import * as tf from '@tensorflow/tfjs';
import { convParams, dataToken, f32, nativeKernel, output, outputArray, plainGeometry, sizeOf } from './shared.ts';

type Shape4 = [number, number, number, number];

export const depthwiseConv2dNativeConfig = nativeKernel(tf.DepthwiseConv2dNative, ({ inputs, backend, attrs }, native) => {
  const { x, filter } = inputs;
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as unknown as tf.DepthwiseConv2dNativeAttrs;
  const xv = f32(backend, x);
  const wv = f32(backend, filter);
  if (!xv || !wv || dataFormat === 'NCHW') return null;
  const c = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filter.shape as Shape4, strides, dilations ?? 1, pad, dimRoundingMode, true);
  if (!plainGeometry(c)) return null;
  const out = outputArray(backend, sizeOf(c.outShape));
  native.depthwiseConv2d(xv, wv, null, out, convParams(c), 0, 0, dataToken(filter));
  return output(backend, c.outShape, out);
});
