/**
 * A saved model ready to classify pictures: what `fmnist predict` and the library's `openClassifier`
 * use. Takes an image file, its encoded bytes (PNG/JPEG/WebP/GIF, any size or colour: converted the
 * way Fashion-MNIST was made), or 28x28 grey pixels already in Fashion-MNIST's form.
 */
import type * as tf from '@tensorflow/tfjs';
import { resolve } from 'node:path';
import { modelInputShape, normalizationFor, type Normalization } from '../data/preprocess.ts';
import { CLASS_NAMES, IMAGE_SIZE } from '../data/source.ts';
import { predictProbabilities } from '../models/predict.ts';
import { loadModel, readModelMetadata } from '../store/model_io.ts';
import { UserError } from '../util/errors.ts';
import { predictImage } from './image_input.ts';

export interface ClassScore {
  className: string;
  /** Softmax probability, 0–1. */
  probability: number;
}

/** What a classifier takes: a file path, an encoded image, or 784 grey pixels (row-major, 0 = black, as in the dataset). */
export type ImageInput = string | Buffer | Uint8Array;

export interface Classifier {
  /** The classes of one picture, most probable first (`top` of them; default all ten). */
  classify(input: ImageInput, top?: number): Promise<ClassScore[]>;
  /** Frees the model's weights. */
  dispose(): void;
}

function ranked(probs: Float32Array, top: number): ClassScore[] {
  return Array.from(probs, (p, c) => ({ className: CLASS_NAMES[c] ?? String(c), probability: p }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, top);
}

async function probabilities(model: tf.LayersModel, input: ImageInput, norm: Normalization): Promise<Float32Array> {
  if (typeof input === 'string' || Buffer.isBuffer(input)) return predictImage(model, input, norm);
  if (input.length !== IMAGE_SIZE * IMAGE_SIZE) {
    throw new UserError(`pixels: expected ${IMAGE_SIZE * IMAGE_SIZE} grey values (28x28), got ${input.length}`);
  }
  return predictProbabilities(model, input, Int32Array.of(0), norm);
}

/** Load the saved model in `dir` (a run folder or an exported model) on the current backend. */
export async function openClassifier(dir: string): Promise<Classifier> {
  const meta = readModelMetadata(resolve(dir));
  if (meta.inputScale === 'standard' && !meta.normalization) {
    throw new UserError(`${dir}: the model expects standardised inputs but records no mean/std`);
  }
  const norm = normalizationFor(meta);
  const model = await loadModel(resolve(dir));
  modelInputShape(model); // an input shape images cannot be fitted to fails here once, not once per image
  return {
    classify: async (input, top = CLASS_NAMES.length) => ranked(await probabilities(model, input, norm), top),
    dispose: () => model.dispose(),
  };
}
