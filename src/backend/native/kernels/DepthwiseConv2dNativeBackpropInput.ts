/** DepthwiseConv2dNativeBackpropInput (input gradient of a depthwise conv) on oneDNN. */
import * as tf from '@tensorflow/tfjs';
import { convParams, dataToken, f32, nativeKernel, output, outputArray, plainGeometry, sizeOf } from './shared.ts';

type Shape4 = [number, number, number, number];

export const depthwiseConv2dNativeBackpropInputConfig = nativeKernel(tf.DepthwiseConv2dNativeBackpropInput, ({ inputs, backend, attrs }, native) => {
  const { dy, filter } = inputs;
  const { inputShape, strides, dilations, pad, dimRoundingMode } = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const dyv = f32(backend, dy);
  const wv = f32(backend, filter);
  if (!dyv || !wv) return null;
  const c = tf.backend_util.computeConv2DInfo(inputShape as Shape4, filter.shape as Shape4, strides, dilations ?? 1, pad, dimRoundingMode, true);
  if (!plainGeometry(c) || sizeOf(c.outShape) !== dyv.length) return null;
  const out = outputArray(backend, sizeOf(c.inShape));
  native.depthwiseConv2dBackpropInput(dyv, wv, out, convParams(c), dataToken(filter));
  return output(backend, [...c.inShape], out);
});
