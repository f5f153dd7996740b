/**
 * clip(x, min, max) for float32 in the addon's unary loops (addon/unary.cc): tfjs' ReLU layer with
 * maxValue (ReLU(6.0) in MobileNetV2) runs it after every expansion and depthwise convolution;
 * the cpu kernel's generic helper costs ~40 ns per element there (measured). NaN stays NaN, as on cpu.
 */
import * as tf from '@tensorflow/tfjs';
import { ELEMENTWISE_MIN_SIZE, UNARY_OPS } from './elementwise.ts';
import { f32, nativeKernel, output, outputArray } from './shared.ts';

export const clipByValueConfig = nativeKernel(tf.ClipByValue, ({ inputs, backend, attrs }, native) => {
  const { x } = inputs;
  const v = f32(backend, x);
  if (!v || v.length < ELEMENTWISE_MIN_SIZE) return null;
  const { clipValueMin, clipValueMax } = attrs as unknown as tf.ClipByValueAttrs;
  const out = outputArray(backend, v.length);
  native.unary(v, out, UNARY_OPS.clip, clipValueMin, clipValueMax);
  return output(backend, x.shape, out);
});
