/** FusedDepthwiseConv2D: depthwise conv + per-channel bias + activation in one oneDNN primitive. */
import * as tf from '@tensorflow/tfjs';
import { activationCode, applyPrelu, channelBias, convParams, dataToken, f32, nativeKernel, output, outputArray, plainGeometry, sizeOf } from './shared.ts';

type Shape4 = [number, number, number, number];

export const fusedDepthwiseConv2DConfig = nativeKernel(tf.FusedDepthwiseConv2D, ({ inputs, backend, attrs }, native) => {
  const { x, filter } = inputs;
  const bias: tf.TensorInfo | undefined = inputs.bias;
  const preluActivationWeights: tf.TensorInfo | undefined = inputs.preluActivationWeights;
  const { strides, pad, dataFormat, dilations, dimRoundingMode, activation, leakyreluAlpha } = attrs as unknown as tf.FusedDepthwiseConv2DAttrs;
  const xv = f32(backend, x);
  const wv = f32(backend, filter);
  const prelu = activation === 'prelu';
  const act = prelu ? 0 : activationCode(activation);
  if (!xv || !wv || dataFormat === 'NCHW' || act === undefined || (prelu && !preluActivationWeights)) return null;
  const c = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filter.shape as Shape4, strides, dilations ?? 1, pad, dimRoundingMode, true);
  if (!plainGeometry(c)) return null;
  const bv = channelBias(backend, bias, c.outChannels);
  if (bv === undefined) return null;
  const out = outputArray(backend, sizeOf(c.outShape));
  native.depthwiseConv2d(xv, wv, bv, out, convParams(c), act, leakyreluAlpha ?? 0.2, dataToken(filter));
  const y = output(backend, c.outShape, out);
  return prelu ? applyPrelu(backend, y, preluActivationWeights!) : y;
});
