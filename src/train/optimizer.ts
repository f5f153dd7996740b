/** Optimizers by name, and decoupled weight decay (which tfjs lacks). */
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config.ts';

export function makeOptimizer(cfg: Pick<TrainConfig, 'optimizer' | 'lr' | 'momentum'>): tf.Optimizer {
  switch (cfg.optimizer) {
    case 'adam':
      return tf.train.adam(cfg.lr, 0.9, 0.999, 1e-7);
    case 'sgd':
      return tf.train.momentum(cfg.lr, cfg.momentum, true);
    case 'rmsprop':
      return tf.train.rmsprop(cfg.lr, 0.9, cfg.momentum, 1e-7);
  }
}

/**
 * Set the rate for the next step. Adam and RMSprop read their `learningRate` field at each step;
 * SGD/momentum cache it as a scalar tensor, which their own setLearningRate replaces.
 */
export function setLearningRate(opt: tf.Optimizer, lr: number): void {
  const o = opt as unknown as { learningRate: number; setLearningRate?: (lr: number) => void };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}

/**
 * Decoupled weight decay (Loshchilov & Hutter 2019): w ← w·(1 − lr·λ) after the step, on
 * kernels only — biases are not decayed, as is usual.
 */
export function applyWeightDecay(kernels: tf.LayerVariable[], lr: number, weightDecay: number): void {
  if (weightDecay <= 0) return;
  const factor = 1 - lr * weightDecay;
  tf.tidy(() => {
    for (const v of kernels) v.write(tf.mul(v.read(), factor));
  });
}
