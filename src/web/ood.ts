/**
 * The server's side of "is this picture like Fashion-MNIST?" (browser/ood_math.ts): the feature
 * model of a run's model (up to the input of its last Dense layer), the class Gaussians fitted on
 * 1,500 training images and the scores of 1,000 test images to calibrate against — computed once
 * per model and kept, with `fmnist predict`'s batched inference.
 */
import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES } from '../data/classes.ts';
import type { FashionMnist } from '../data/dataset.ts';
import type { Normalization } from '../data/preprocess.ts';
import { predictProbabilities } from '../models/predict.ts';
import { fitGaussians, oodScore, type OodStats } from './browser/ood_math.ts';

/**
 * Every 40th training image (1,500) fits the Gaussians, every 10th test image (1,000) calibrates: the
 * 1% tail is then 10 images, and a ResNet-9-s fits in ~15 s on wasm (5,500 images took 31 s).
 */
const TRAIN_STEP = 40;
const TEST_STEP = 10;

export interface Ood {
  stats: OodStats;
  /** The features of 28x28 images (dataset form) at `indices`, [n × dim]. */
  features(images: Uint8Array, indices: Int32Array): Float32Array;
}

/** The layer whose input the score reads: the model's last Dense layer (its classifier). */
export function featureLayer(m: tf.LayersModel): tf.layers.Layer | undefined {
  return m.layers.filter((l) => l.getClassName() === 'Dense').pop();
}

const every = (n: number, step: number) => Int32Array.from({ length: Math.floor(n / step) }, (_, i) => i * step);
/** Stored to 7 significant digits: what the page downloads, and what the server scores with too. */
const round = (v: number) => Number(v.toPrecision(7));

/**
 * `features` of many images in chunks of 250, letting other requests in between (the fit takes
 * seconds, and the server must keep answering meanwhile).
 */
async function chunked(
  features: Ood['features'],
  images: Uint8Array,
  indices: Int32Array,
  dim: number,
): Promise<Float32Array> {
  const out = new Float32Array(indices.length * dim);
  for (let i = 0; i < indices.length; i += 250) {
    out.set(features(images, indices.subarray(i, i + 250)), i * dim);
    await new Promise((r) => setImmediate(r));
  }
  return out;
}

/** Fit and calibrate for `model` (undefined when it has no Dense layer to read features at). */
export async function fitOod(model: tf.LayersModel, data: FashionMnist, norm: Normalization): Promise<Ood | undefined> {
  const layer = featureLayer(model);
  if (!layer) return undefined;
  // Shares the model's layers and weights (so it is never disposed on its own).
  const featureModel = tf.model({ inputs: model.inputs, outputs: layer.input as tf.SymbolicTensor });
  const dim = featureModel.outputs[0].shape[1] as number;
  const features = (images: Uint8Array, indices: Int32Array) =>
    predictProbabilities(featureModel, images, indices, norm);
  const train = every(data.train.count, TRAIN_STEP);
  const fitted = fitGaussians(
    await chunked(features, data.train.images, train, dim),
    Array.from(train, (i) => data.train.labels[i]),
    dim,
    NUM_CLASSES,
  );
  const gauss = { dim, means: fitted.means.map((m) => m.map(round)), precision: fitted.precision.map(round) };
  const test = every(data.test.count, TEST_STEP);
  const testFeatures = await chunked(features, data.test.images, test, dim);
  const calibration = Array.from(test, (_, k) => round(oodScore(gauss, testFeatures.subarray(k * dim, (k + 1) * dim))));
  return { stats: { layer: layer.name, ...gauss, calibration: calibration.sort((a, b) => a - b) }, features };
}
