/**
 * Turning uint8 images into model inputs: scaling, NHWC batches, augmentation, and fitting a
 * batch to the input shape a model declares (toModelInput: no channel axis, flat, larger, RGB).
 *
 * Batches are filled into one reused Float32Array, so the dataset never exists as float32
 * (60,000 x 784 x 4 B = 188 MB) — only one batch at a time does. No Node imports (keep it so):
 * the browser bundle of `fmnist serve` (src/web/) scales and fits its inputs with this same code.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_SIZE } from './classes.ts';
import { UserError } from '../util/errors.ts';
import type { Rng } from '../util/rng.ts';

const PIXELS = IMAGE_SIZE * IMAGE_SIZE;

export interface Normalization {
  kind: 'unit' | 'standard';
  /** Mean and std of x/255 over the training images (used when kind is 'standard'). */
  mean: number;
  std: number;
}

/** Mean and standard deviation of x/255 over all pixels of the given images. */
export function pixelStats(images: Uint8Array, indices?: ArrayLike<number>): { mean: number; std: number } {
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  const each = (offset: number) => {
    for (let p = 0; p < PIXELS; p++) {
      const v = images[offset + p];
      sum += v;
      sumSq += v * v;
    }
    n += PIXELS;
  };
  if (indices) for (let i = 0; i < indices.length; i++) each(indices[i] * PIXELS);
  else for (let o = 0; o < images.length; o += PIXELS) each(o);
  const mean = sum / n;
  const variance = sumSq / n - mean * mean;
  return { mean: mean / 255, std: Math.sqrt(Math.max(variance, 0)) / 255 };
}

export function makeNormalization(kind: 'unit' | 'standard', images: Uint8Array, indices?: ArrayLike<number>): Normalization {
  return kind === 'unit' ? { kind, mean: 0, std: 1 } : { kind, ...pixelStats(images, indices) };
}

export interface Augmentation {
  rng: Rng;
  /** Maximum translation in pixels, each axis; the uncovered border is background (0). */
  shift: number;
  /** Mirror left↔right with probability 1/2. */
  flip: boolean;
  /** Random erasing: probability that one rectangle of the image becomes background (0 or absent = off). */
  erasing?: number;
}

/**
 * Random erasing (Zhong et al. 2017) with cutout's fill: a rectangle of 2–40% of the image, aspect
 * ratio between 0.3 and 3.3 (log-uniform), clipped to the image, placed uniformly, set to the
 * background value (pixel 0 after scaling) — the "nothing there" of Fashion-MNIST's black ground.
 */
function eraseRect(out: Float32Array, dst: number, rng: Rng, background: number): void {
  const S = IMAGE_SIZE;
  const area = (0.02 + rng.next() * 0.38) * PIXELS;
  const aspect = Math.exp(Math.log(0.3) + rng.next() * 2 * Math.log(1 / 0.3));
  const h = Math.min(S, Math.max(1, Math.round(Math.sqrt(area * aspect))));
  const w = Math.min(S, Math.max(1, Math.round(Math.sqrt(area / aspect))));
  const y0 = rng.int(S - h + 1);
  const x0 = rng.int(S - w + 1);
  for (let y = y0; y < y0 + h; y++) out.fill(background, dst + y * S + x0, dst + y * S + x0 + w);
}

/**
 * Write images[indices] into `out` (NHWC, one channel), scaled by `norm`, optionally augmented.
 * Returns the number of images written.
 */
export function fillBatch(images: Uint8Array, indices: ArrayLike<number>, out: Float32Array, norm: Normalization, aug?: Augmentation): number {
  const scale = 1 / 255 / norm.std;
  const offset = -norm.mean / norm.std;
  const S = IMAGE_SIZE;
  for (let b = 0; b < indices.length; b++) {
    const src = indices[b] * PIXELS;
    const dst = b * PIXELS;
    if (!aug || (aug.shift === 0 && !aug.flip)) {
      for (let p = 0; p < PIXELS; p++) out[dst + p] = images[src + p] * scale + offset;
    } else {
      const dy = aug.shift ? aug.rng.int(2 * aug.shift + 1) - aug.shift : 0;
      const dx = aug.shift ? aug.rng.int(2 * aug.shift + 1) - aug.shift : 0;
      const flip = aug.flip && aug.rng.next() < 0.5;
      for (let y = 0; y < S; y++) {
        const sy = y - dy;
        for (let x = 0; x < S; x++) {
          const sx0 = x - dx;
          const sx = flip ? S - 1 - sx0 : sx0;
          const inside = sy >= 0 && sy < S && sx >= 0 && sx < S;
          out[dst + y * S + x] = (inside ? images[src + sy * S + sx] : 0) * scale + offset;
        }
      }
    }
    // Drawn only when erasing is on, so runs without it keep their random stream.
    if (aug?.erasing && aug.rng.next() < aug.erasing) eraseRect(out, dst, aug.rng, offset);
  }
  return indices.length;
}

/** A [n, 28, 28, 1] tensor of the given images (all of them when indices is omitted). */
export function imagesToTensor(images: Uint8Array, norm: Normalization, indices?: ArrayLike<number>): tf.Tensor4D {
  const idx = indices ?? Int32Array.from({ length: images.length / PIXELS }, (_, i) => i);
  const buf = new Float32Array(idx.length * PIXELS);
  fillBatch(images, idx, buf, norm);
  return tf.tensor4d(buf, [idx.length, IMAGE_SIZE, IMAGE_SIZE, 1]);
}

/** Consecutive slices of `order` of at most `batchSize` (the last may be short). */
export function* batchSlices(order: Int32Array, batchSize: number): Generator<Int32Array> {
  for (let i = 0; i < order.length; i += batchSize) yield order.subarray(i, Math.min(i + batchSize, order.length));
}

/** Bilinear resize of [n,h,w,c] images to height×width (the same tensor when already that size). */
export function resizeImages(x: tf.Tensor4D, height: number, width: number): tf.Tensor4D {
  return x.shape[1] === height && x.shape[2] === width ? x : tf.image.resizeBilinear(x, [height, width]);
}

/** Grey → RGB by repeating the single channel (pretrained filters expect three equal-ish channels). */
export function greyToRgb(x: tf.Tensor4D): tf.Tensor4D {
  return x.shape[3] === 1 ? tf.tile(x, [1, 1, 1, 3]) : x;
}

/** Inputs for an ImageNet-pretrained model: [n,h,w,1|3] resized to size×size, grey → RGB. */
export function forPretrained(x: tf.Tensor4D, size: number): tf.Tensor4D {
  return tf.tidy(() => greyToRgb(resizeImages(x, size, size)));
}

const SUPPORTED_INPUTS = '[null,28,28,1], [null,28,28], [null,784], [null,H,W,1|3] or [null,H,W]';

interface InputPlan { kind: 'flat' | 'grid' | 'image'; h: number; w: number; c: 1 | 3 }

/** How 28x28 grey images are fitted to a model input shape; a UserError names an unsupported one. */
function inputPlan(inputShape: readonly (number | null)[]): InputPlan {
  const unsupported = () => new UserError(`the model's input shape [${inputShape.map((d) => d ?? 'null').join(',')}] is not one that 28x28 grey images can be fed to (supported: ${SUPPORTED_INPUTS})`);
  const dims = inputShape.slice(1);
  if (dims.some((d) => d !== null && !(Number.isInteger(d) && d > 0))) throw unsupported();
  // Unknown (null) spatial sizes (fully convolutional models) take the images' own 28.
  const [h, w] = [dims[0] ?? IMAGE_SIZE, dims[1] ?? IMAGE_SIZE];
  if (dims.length === 1 && (dims[0] ?? PIXELS) === PIXELS) return { kind: 'flat', h: IMAGE_SIZE, w: IMAGE_SIZE, c: 1 };
  if (dims.length === 2) return { kind: 'grid', h, w, c: 1 };
  const c = dims[2] ?? 1;
  if (dims.length === 3 && (c === 1 || c === 3)) return { kind: 'image', h, w, c };
  throw unsupported();
}

/**
 * The input shape of a model that 28x28 grey images are to be fed to, checked: one input, of a
 * shape toModelInput can fit (otherwise a one-line UserError naming it). Check before a loop over
 * images, so an unusable model fails once rather than once per image.
 */
export function modelInputShape(model: tf.LayersModel): readonly (number | null)[] {
  if (model.inputs.length !== 1) throw new UserError(`the model has ${model.inputs.length} inputs; only single-input image classifiers can be fed images`);
  const shape = model.inputs[0].shape;
  inputPlan(shape);
  return shape;
}

/**
 * The one place that fits a batch of 28x28 grey images, [n,28,28,1] as fillBatch makes them, to
 * the input a model declares (its `model.inputs[0].shape`). Every command that feeds images to a
 * model goes through here, so they all accept the same models:
 *   [null,28,28,1]  as is (this project's models);
 *   [null,28,28]    no channel axis (Keras' `Flatten(input_shape=(28, 28))`, TensorFlow's tutorial model);
 *   [null,784]      flattened row by row, as Keras' Flatten and numpy's reshape do;
 *   [null,H,W,C]    C 1 or 3: bilinear resize to H×W, grey repeated to RGB when C is 3 (pretrained bases);
 *   [null,H,W]      resized, no channel axis.
 * Unknown (null) spatial sizes take 28. Any other shape is a UserError naming it.
 */
export function toModelInput(inputShape: readonly (number | null)[], x: tf.Tensor4D): tf.Tensor {
  const { kind, h, w, c } = inputPlan(inputShape);
  const n = x.shape[0];
  return tf.tidy(() => {
    if (kind === 'flat') return x.reshape([n, PIXELS]);
    const y = resizeImages(x, h, w);
    if (kind === 'grid') return y.reshape([n, h, w]);
    return c === 3 ? greyToRgb(y) : y;
  });
}

/** One-hot labels as float32 [n, classes]. */
export function oneHot(labels: Uint8Array, indices: ArrayLike<number>, classes: number): tf.Tensor2D {
  const buf = new Float32Array(indices.length * classes);
  for (let i = 0; i < indices.length; i++) buf[i * classes + labels[indices[i]]] = 1;
  return tf.tensor2d(buf, [indices.length, classes]);
}

/**
 * The input scaling a saved model expects, from its metadata: an explicit `normalization`
 * (written by `fmnist train`) or an `inputScale` of raw (0..255), unit (0..1, the default) or
 * standard (training-set mean/std, computed from `trainImages` when needed).
 */
export function normalizationFor(meta: Record<string, unknown>, trainImages?: Uint8Array): Normalization {
  const n = meta.normalization as Normalization | undefined;
  if (n && (n.kind === 'unit' || n.kind === 'standard') && Number.isFinite(n.mean) && n.std > 0) return n;
  switch (meta.inputScale) {
    case 'raw':
      return { kind: 'unit', mean: 0, std: 1 / 255 };
    case 'standard':
      if (!trainImages) throw new Error('standard input scaling needs the training images');
      return makeNormalization('standard', trainImages);
    default:
      return { kind: 'unit', mean: 0, std: 1 };
  }
}
