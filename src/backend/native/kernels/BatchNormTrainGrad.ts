/**
 * The gradient of BatchNormTrain (through the batch statistics too): dx, dgamma, dbeta from x, dy
 * and the forward pass's mean and variance, in two passes (addon/batch_norm_train.cc).
 */
import { f32, nativeKernel, output, outputArray } from './shared.ts';

export const BATCH_NORM_TRAIN_GRAD = 'FmnistBatchNormTrainGrad';

export const batchNormTrainGradConfig = nativeKernel(BATCH_NORM_TRAIN_GRAD, ({ inputs, backend, attrs }, native) => {
  const { x, dy, mean, variance, gamma } = inputs;
  const [xv, dyv, mv, vv] = [f32(backend, x), f32(backend, dy), f32(backend, mean), f32(backend, variance)];
  if (!xv || !dyv || !mv || !vv) throw new Error(`${BATCH_NORM_TRAIN_GRAD}: needs float32 inputs`);
  const channels = mv.length;
  const [dx, dgamma, dbeta] = [outputArray(backend, xv.length), outputArray(backend, channels), outputArray(backend, channels)];
  native.batchNormTrainGrad(xv, dyv, mv, vv, f32(backend, gamma) ?? null, dx, dgamma, dbeta, Int32Array.of(xv.length / channels, channels), attrs.epsilon as number);
  return [output(backend, [...x.shape], dx), output(backend, [channels], dgamma), output(backend, [channels], dbeta)];
});
