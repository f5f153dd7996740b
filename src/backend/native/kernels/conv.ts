/**
 * The three convolution passes, shared by the regular (HWIO filter) and depthwise (HWC1 filter)
 * kernels: the addon runs a depthwise convolution as a grouped one, so the two families differ
 * only in how tfjs describes the geometry and in which addon entry point they call.
 */
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from '../addon.ts';
import { activationCode, applyPrelu, channelBias, convParams, dataToken, f32, type Info, type KernelArgs, output, outputArray, plainGeometry, sizeOf } from './shared.ts';

type Shape4 = [number, number, number, number];

/** The attributes every conv kernel's attrs carry (the backprops' dilations and dataFormat are optional). */
interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dilations?: [number, number] | number;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** tfjs' geometry for input `inShape` and `filterShape`, or null where oneDNN cannot take it as it is. */
function geometry(inShape: readonly number[], filterShape: readonly number[], a: ConvAttrs, depthwise: boolean): tf.backend_util.Conv2DInfo | null {
  if (a.dataFormat === 'NCHW') return null;
  const c = tf.backend_util.computeConv2DInfo(inShape as Shape4, filterShape as Shape4, a.strides, a.dilations ?? 1, a.pad as 'same', a.dimRoundingMode, depthwise, 'channelsLast');
  return plainGeometry(c) ? c : null;
}

/** y = act(conv(x, filter) + bias), for Conv2D/DepthwiseConv2dNative (no bias, linear) and their fused forms. */
export function convForward({ inputs, backend, attrs }: KernelArgs, native: NativeAddon, depthwise: boolean): Info | null {
  const { x, filter } = inputs;
  const bias: Info | undefined = inputs.bias;
  const preluActivationWeights: Info | undefined = inputs.preluActivationWeights;
  const { activation, leakyreluAlpha } = attrs as unknown as Partial<tf.FusedConv2DAttrs>;
  const xv = f32(backend, x);
  const wv = f32(backend, filter);
  const prelu = activation === 'prelu';
  const act = prelu ? 0 : activationCode(activation);
  if (!xv || !wv || act === undefined || (prelu && !preluActivationWeights)) return null;
  const c = geometry(x.shape, filter.shape, attrs as unknown as ConvAttrs, depthwise);
  if (!c) return null;
  const bv = channelBias(backend, bias, c.outChannels);
  if (bv === undefined) return null;
  const out = outputArray(backend, sizeOf(c.outShape));
  native[depthwise ? 'depthwiseConv2d' : 'conv2d'](xv, wv, bv, out, convParams(c), act, leakyreluAlpha ?? 0.2, dataToken(filter));
  const y = output(backend, c.outShape, out);
  return prelu ? applyPrelu(backend, y, preluActivationWeights!) : y;
}

/** dx = conv^T(dy, filter): Conv2DBackpropInput (also conv2dTranspose) and its depthwise twin. */
export function convBackpropInput({ inputs, backend, attrs }: KernelArgs, native: NativeAddon, depthwise: boolean): Info | null {
  const { dy, filter } = inputs;
  const { inputShape } = attrs as unknown as { inputShape: number[] };
  const dyv = f32(backend, dy);
  const wv = f32(backend, filter);
  if (!dyv || !wv) return null;
  const c = geometry(inputShape, filter.shape, attrs as unknown as ConvAttrs, depthwise);
  if (!c || sizeOf(c.outShape) !== dyv.length) return null;
  const out = outputArray(backend, sizeOf(c.inShape));
  native[depthwise ? 'depthwiseConv2dBackpropInput' : 'conv2dBackpropInput'](dyv, wv, out, convParams(c), dataToken(filter));
  return output(backend, [...c.inShape], out);
}

/** dw = the correlation of x with dy, in the filter's layout (HWIO, or HWC1 for depthwise). */
export function convBackpropFilter({ inputs, backend, attrs }: KernelArgs, native: NativeAddon, depthwise: boolean): Info | null {
  const { x, dy } = inputs;
  const { filterShape } = attrs as unknown as { filterShape: number[] };
  const xv = f32(backend, x);
  const dyv = f32(backend, dy);
  if (!xv || !dyv) return null;
  const c = geometry(x.shape, filterShape, attrs as unknown as ConvAttrs, depthwise);
  if (!c || sizeOf(c.outShape) !== dyv.length) return null;
  const out = outputArray(backend, sizeOf(filterShape));
  native[depthwise ? 'depthwiseConv2dBackpropFilter' : 'conv2dBackpropFilter'](xv, dyv, out, convParams(c));
  return output(backend, [...filterShape], out);
}
