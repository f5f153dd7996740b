/**
 * Turning uint8 images into model inputs: scaling, NHWC batches, augmentation, and the
 * resizing / grey→RGB that ImageNet-pretrained models need.
 *
 * Batches are filled into one reused Float32Array, so the dataset never exists as float32
 * (60,000 x 784 x 4 B = 188 MB) — only one batch at a time does.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_SIZE } from './source.ts';
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
      continue;
    }
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

/**
 * Inputs for an ImageNet-pretrained model: bilinear resize of [n,h,w,1|3] to size×size and
 * grey→RGB by repeating the channel (pretrained filters expect three equal-ish channels).
 */
export function forPretrained(x: tf.Tensor4D, size: number): tf.Tensor4D {
  return tf.tidy(() => {
    let y: tf.Tensor4D = x.shape[1] === size && x.shape[2] === size ? x : tf.image.resizeBilinear(x, [size, size]);
    if (y.shape[3] === 1) y = tf.tile(y, [1, 1, 1, 3]);
    return y;
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
