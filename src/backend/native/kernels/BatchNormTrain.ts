/**
 * Batch norm in training as one kernel of our own (not a tfjs kernel name): y, and the batch's
 * per-channel mean and variance, for an NHWC input normalised over every axis but the last.
 * Called only on the native backend, by models/batch_norm.ts (other backends compose it from tfjs
 * ops there); its gradient is BatchNormTrainGrad. See addon/batch_norm_train.cc for why.
 */
import { f32, nativeKernel, output, outputArray } from './shared.ts';

export const BATCH_NORM_TRAIN = 'FmnistBatchNormTrain';

export const batchNormTrainConfig = nativeKernel(BATCH_NORM_TRAIN, ({ inputs, backend, attrs }, native) => {
  const { x, gamma, beta } = inputs;
  const xv = f32(backend, x);
  const channels = x.shape[x.shape.length - 1];
  if (!xv || xv.length === 0) throw new Error(`${BATCH_NORM_TRAIN}: needs non-empty float32 input`);
  const rows = xv.length / channels;
  const [y, mean, variance] = [outputArray(backend, xv.length), outputArray(backend, channels), outputArray(backend, channels)];
  native.batchNormTrain(xv, f32(backend, gamma) ?? null, f32(backend, beta) ?? null, y, mean, variance, Int32Array.of(rows, channels), attrs.epsilon as number);
  return [output(backend, [...x.shape], y), output(backend, [channels], mean), output(backend, [channels], variance)];
});
