/**
 * Batch normalisation for the models trained here: tfjs' own BatchNormalization layer (same class
 * name, config and weights, so a saved model is standard and plain `tf.loadLayersModel` reads it),
 * whose training-mode call runs as one fused native kernel each way on the native backend.
 *
 * Why: tfjs-layers composes training batch norm from tf.moments and tf.batchNorm and
 * differentiates it op by op, ~25 passes over each activation per step; on ResNet-9 that was ~40%
 * of a training step. Inference (training false) and other backends take tfjs' own path.
 */
import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_TRAIN } from '../backend/native/kernels/BatchNormTrain.ts';
import { BATCH_NORM_TRAIN_GRAD } from '../backend/native/kernels/BatchNormTrainGrad.ts';

export interface BatchMoments { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D }

/**
 * Batch norm over every axis but the last, with the batch's own statistics (as in training):
 * y = (x − mean) / sqrt(variance + epsilon) · gamma + beta, and the biased mean and variance.
 * Differentiable in x, gamma and beta, through the statistics too.
 */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchMoments {
  if (tf.getBackend() !== 'native') {
    const { mean, variance } = tf.moments(x, [...Array(x.rank - 1).keys()]);
    return { y: tf.batchNorm(x, mean, variance, beta, gamma, epsilon), mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  }
  let stats: tf.Tensor[] = [];
  const op = tf.customGrad(((xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x: xi, gamma: g, beta: b }, { epsilon }) as tf.Tensor[];
    save([xi, mean, variance, g]);
    // The statistics leave the op's scope for the moving averages: kept here, freed by the caller's tidy below.
    stats = [tf.keep(mean), tf.keep(variance)];
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, smean, svariance, sgamma] = saved;
        return tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, { x: sx, dy, mean: smean, variance: svariance, gamma: sgamma }, { epsilon }) as tf.Tensor[];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]); // tfjs types the inputs as a rest array of tensors and the save function
  const y = op(x, gamma, beta);
  const [mean, variance] = stats.map((t) => {
    const owned = t.clone(); // a tracked copy, so the surrounding tidy owns it; the kept original is freed now
    t.dispose();
    return owned;
  });
  return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

/** The private fields of tfjs' BatchNormalization that training needs. */
interface BatchNormInternals {
  axis: number;
  epsilon: number;
  momentum: number;
  gamma: tf.LayerVariable;
  beta: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

type LayerClass = new (args: object) => tf.layers.Layer;
const TfjsBatchNormalization = Object.getPrototypeOf(tf.layers.batchNormalization({})).constructor as LayerClass;

class BatchNormalization extends TfjsBatchNormalization {
  /** tfjs' name: the saved model names tfjs' class, so it loads without this one. */
  static className = 'BatchNormalization';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const self = this as unknown as BatchNormInternals;
    const lastAxis = self.axis === -1 || self.axis === x.rank - 1;
    if (!kwargs.training || !lastAxis || !self.gamma || !self.beta) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(x, self.gamma.read() as tf.Tensor1D, self.beta.read() as tf.Tensor1D, self.epsilon);
      // tfjs-layers' update, op for op: moving −= (moving − batch) · (1 − momentum).
      for (const [moving, batch] of [[self.movingMean, mean], [self.movingVariance, variance]] as const) {
        tf.tidy(() => {
          const old = moving.read();
          moving.write(tf.sub(old, tf.mul(tf.sub(old, batch), 1 - self.momentum)));
        });
      }
      return y;
    });
  }
}

/** tf.layers.batchNormalization with the fused training path (same arguments). */
export function batchNormalization(args: Parameters<typeof tf.layers.batchNormalization>[0]): tf.layers.Layer {
  return new BatchNormalization(args ?? {});
}
