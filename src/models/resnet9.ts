/**
 * ResNet-9 for 28x28 grey images, after Page's "How to train your ResNet" (DAWNBench CIFAR-10),
 * scaled to Fashion-MNIST: every conv is 3x3 conv (no bias) → BatchNorm → ReLU.
 *
 *   prep   conv w0                       28x28
 *   stage1 conv w1 → maxpool 2 → [res]   14x14
 *   stage2 conv w2 → maxpool 2 → [res]    7x7
 *   stage3 conv w3 → maxpool 2 → [res]    3x3
 *   global max pool → dense `fc` (10) → ×0.125 `logits` (Rescaling) → softmax `predictions`
 *
 * A residual block is x + convbn(convbn(x)) at the stage's width (Page: after stages 1 and 3).
 * Only standard tfjs layers, so plain `tf.loadLayersModel` loads the saved model (batch norm is
 * tfjs' own, with a fused training path on the native backend: batch_norm.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormalization } from './batch_norm.ts';

export interface ResNet9Variant {
  description: string;
  /** Widths of prep and the three stages. */
  widths: [number, number, number, number];
  /** Residual blocks after each stage. */
  blocks: [number, number, number];
}

/** The family: one builder, variants as data. Parameters are counted in resnet9.test.ts. */
export const RESNET9_VARIANTS: Record<string, ResNet9Variant> = {
  resnet9: { description: 'ResNet-9 (Page) for 28x28x1: widths 32-64-128-256, residual blocks after stages 1 and 3 (1.6M params)', widths: [32, 64, 128, 256], blocks: [1, 0, 1] },
  resnet9_s: { description: 'ResNet-9, widths 24-48-96-192 (0.9M params)', widths: [24, 48, 96, 192], blocks: [1, 0, 1] },
  resnet9_xs: { description: 'ResNet-9, widths 16-32-64-128 (0.4M params; quick runs and tests)', widths: [16, 32, 64, 128], blocks: [1, 0, 1] },
};

export interface ResNet9Options {
  inputShape?: [number, number, number];
  classes?: number;
  seed?: number;
}

/** BatchNorm momentum (Keras' sense: moving = m * moving + (1 - m) * batch); 0.9 settles within a few hundred steps. */
const BN_MOMENTUM = 0.9;
const BN_EPSILON = 1e-5;
/** Multiplier of the classifier's output (Page's 0.125). */
const LOGIT_SCALE = 0.125;

export function resnet9(variant: ResNet9Variant, name: string, opts: ResNet9Options = {}): tf.LayersModel {
  const { inputShape = [28, 28, 1], classes = 10, seed } = opts;
  let n = 0;
  // He-normal for ReLU convs, seeded per layer so that runs reproduce.
  const init = () => tf.initializers.heNormal({ seed: seed === undefined ? undefined : seed + n++ });
  const convBn = (x: tf.SymbolicTensor, filters: number, id: string): tf.SymbolicTensor => {
    let y = tf.layers.conv2d({ name: `${id}_conv`, filters, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init() }).apply(x) as tf.SymbolicTensor;
    y = batchNormalization({ name: `${id}_bn`, momentum: BN_MOMENTUM, epsilon: BN_EPSILON }).apply(y) as tf.SymbolicTensor;
    return tf.layers.reLU({ name: `${id}_relu` }).apply(y) as tf.SymbolicTensor;
  };
  const input = tf.input({ shape: inputShape, name: 'input' });
  let x = convBn(input, variant.widths[0], 'prep');
  for (let s = 1; s <= 3; s++) {
    x = convBn(x, variant.widths[s], `stage${s}`);
    x = tf.layers.maxPooling2d({ name: `stage${s}_pool`, poolSize: 2 }).apply(x) as tf.SymbolicTensor;
    for (let b = 1; b <= variant.blocks[s - 1]; b++) {
      const id = `stage${s}_res${b}`;
      const y = convBn(convBn(x, variant.widths[s], `${id}a`), variant.widths[s], `${id}b`);
      x = tf.layers.add({ name: `${id}_add` }).apply([x, y]) as tf.SymbolicTensor;
    }
  }
  // Global max pooling as one max pool over the whole 3x3 map and a flatten: the same values, but
  // its forward and gradient are native pooling kernels rather than tfjs' reduce-max and equality mask.
  const [h, w] = [x.shape[1] as number, x.shape[2] as number];
  x = tf.layers.maxPooling2d({ name: 'pool', poolSize: [h, w] }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ name: 'fc', units: classes, kernelInitializer: tf.initializers.glorotUniform({ seed: seed === undefined ? undefined : seed + n++ }) }).apply(x) as tf.SymbolicTensor;
  // Page's output scale: max-pooled ReLU features are large, and unscaled logits start overconfident.
  x = tf.layers.rescaling({ name: 'logits', scale: LOGIT_SCALE }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.activation({ name: 'predictions', activation: 'softmax' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name });
}
