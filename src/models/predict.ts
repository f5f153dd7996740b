/** Batched inference over uint8 images, never materialising the whole set as float32. */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_SIZE } from '../data/source.ts';
import { batchSlices, fillBatch, modelInputShape, toModelInput, type Normalization } from '../data/preprocess.ts';

const PIXELS = IMAGE_SIZE * IMAGE_SIZE;

export interface PredictOptions {
  /** Images per forward pass (default 500). */
  batchSize?: number;
  /** Flip test-time augmentation: the mean of the probabilities of each image and its left↔right mirror. */
  tta?: boolean;
}

/** Class probabilities [n x classes] for images[indices], in `batchSize` chunks. */
export function predictProbabilities(model: tf.LayersModel, images: Uint8Array, indices: Int32Array, norm: Normalization, o: PredictOptions = {}): Float32Array {
  const batchSize = o.batchSize ?? 500;
  const inShape = modelInputShape(model);
  const classes = (model.outputs[0].shape[1] ?? 10) as number;
  const out = new Float32Array(indices.length * classes);
  const buf = new Float32Array(batchSize * PIXELS);
  let done = 0;
  for (const idx of batchSlices(indices, batchSize)) {
    fillBatch(images, idx, buf, norm);
    const probs = tf.tidy(() => {
      const x = tf.tensor4d(buf.subarray(0, idx.length * PIXELS), [idx.length, IMAGE_SIZE, IMAGE_SIZE, 1]);
      // Whatever input the model declares ([null,28,28], [null,784], RGB, ...), fitted in one place.
      const p = model.predict(toModelInput(inShape, x)) as tf.Tensor;
      if (!o.tta) return p;
      const mirrored = model.predict(toModelInput(inShape, tf.reverse(x, 2))) as tf.Tensor; // axis 2: width
      return tf.mul(tf.add(p, mirrored), 0.5);
    });
    out.set(probs.dataSync() as Float32Array, done * classes);
    probs.dispose();
    done += idx.length;
  }
  return out;
}

/** Mean cross-entropy (nats) and accuracy of probabilities against labels[indices]. */
export function lossAndAccuracy(probs: Float32Array, labels: Uint8Array, indices: ArrayLike<number>, classes = 10): { loss: number; acc: number } {
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < indices.length; i++) {
    const row = i * classes;
    const y = labels[indices[i]];
    loss -= Math.log(Math.max(probs[row + y], 1e-12));
    let best = 0;
    for (let k = 1; k < classes; k++) if (probs[row + k] > probs[row + best]) best = k;
    if (best === y) correct++;
  }
  return { loss: loss / indices.length, acc: correct / indices.length };
}
