/** DepthwiseConv2dNativeBackpropFilter (weight gradient of a depthwise conv) on oneDNN, as HWC1. */
import * as tf from '@tensorflow/tfjs';
import { convParams, f32, nativeKernel, output, outputArray, plainGeometry, sizeOf } from './shared.ts';

type Shape4 = [number, number, number, number];

export const depthwiseConv2dNativeBackpropFilterConfig = nativeKernel(tf.DepthwiseConv2dNativeBackpropFilter, ({ inputs, backend, attrs }, native) => {
  const { x, dy } = inputs;
  const { filterShape, strides, dilations, pad, dimRoundingMode } = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const xv = f32(backend, x);
  const dyv = f32(backend, dy);
  if (!xv || !dyv) return null;
  const c = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filterShape as Shape4, strides, dilations ?? 1, pad, dimRoundingMode, true);
  if (!plainGeometry(c) || sizeOf(c.outShape) !== dyv.length) return null;
  const out = outputArray(backend, sizeOf(filterShape));
  native.depthwiseConv2dBackpropFilter(xv, dyv, out, convParams(c));
  return output(backend, [...filterShape], out);
});
