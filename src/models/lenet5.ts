/**
 * LeNet-5 (LeCun et al. 1998) as the published study used it, modernised the usual way:
 * ReLU and max pooling. conv 6@5x5 (same) → pool → conv 16@5x5 (valid) → pool → dense 120 → 84 → 10.
 *
 * The model ends in `logits` (Dense 10) followed by a softmax layer `predictions`, so training can
 * use the numerically stable logits while the saved model outputs probabilities.
 */
import * as tf from '@tensorflow/tfjs';

export interface LeNet5Options {
  inputShape?: [number, number, number];
  classes?: number;
  /** Dropout rate before each hidden dense layer (0 = no dropout layers at all). */
  dropout?: number;
  classifierActivation?: 'softmax' | 'linear';
  /** Seed for the initialisers, so the same seed gives the same starting weights. */
  seed?: number;
}

export function lenet5(opts: LeNet5Options = {}): tf.LayersModel {
  const { inputShape = [28, 28, 1], classes = 10, dropout = 0, classifierActivation = 'softmax', seed } = opts;
  // Glorot-uniform as Keras, seeded per layer so that runs reproduce.
  let n = 0;
  const init = () => tf.initializers.glorotUniform({ seed: seed === undefined ? undefined : seed + n++ });
  const input = tf.input({ shape: inputShape, name: 'input' });
  let x = tf.layers.conv2d({ name: 'conv1', filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: init() }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ name: 'conv2', filters: 16, kernelSize: 5, padding: 'valid', activation: 'relu', kernelInitializer: init() }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  for (const [i, units] of [[1, 120], [2, 84]] as const) {
    if (dropout > 0) x = tf.layers.dropout({ name: `dropout${i}`, rate: dropout, seed: seed === undefined ? undefined : seed + 100 + i }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dense({ name: `fc${i}`, units, activation: 'relu', kernelInitializer: init() }).apply(x) as tf.SymbolicTensor;
  }
  x = tf.layers.dense({ name: 'logits', units: classes, kernelInitializer: init() }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.activation({ name: 'predictions', activation: classifierActivation }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'lenet5' });
}
