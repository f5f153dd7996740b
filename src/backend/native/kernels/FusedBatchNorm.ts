/**
 * FusedBatchNorm on oneDNN: (x - mean) * scale / sqrt(variance + eps) + offset with per-channel
 * (last-axis) statistics. Statistics of any other shape (tfjs broadcasts them) go to the cpu kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { f32, nativeKernel, output, outputArray } from './shared.ts';

export const fusedBatchNormConfig = nativeKernel(tf.FusedBatchNorm, ({ inputs, backend, attrs }, native) => {
  const { x, mean, variance } = inputs;
  const scale: tf.TensorInfo | undefined = inputs.scale;
  const offset: tf.TensorInfo | undefined = inputs.offset;
  const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
  const xv = f32(backend, x);
  if (!xv || x.shape.length < 1) return null;
  const channels = x.shape[x.shape.length - 1];
  // Each statistic: float32 with exactly one value per channel, laid out along the last axis.
  const perChannel = (t: tf.TensorInfo | undefined): Float32Array | null | undefined => {
    if (!t) return null;
    const v = f32(backend, t);
    const last = t.shape.length ? t.shape[t.shape.length - 1] : 1;
    return v && v.length === channels && last === channels ? v : undefined;
  };
  const meanV = perChannel(mean);
  const varV = perChannel(variance);
  const scaleV = perChannel(scale);
  const offsetV = perChannel(offset);
  if (!meanV || !varV || scaleV === undefined || offsetV === undefined || xv.length === 0) return null;
  const out = outputArray(backend, xv.length);
  native.fusedBatchNorm(xv, meanV, varV, scaleV, offsetV, out, Int32Array.of(xv.length / channels, channels), varianceEpsilon ?? 0.001);
  return output(backend, [...x.shape], out);
});
