/**
 * The benchmark's workloads, the same work as the project's PyTorch peer, bench/peer_pytorch.py
 * (its TASKS table; a task added here wants its entry there under the same name):
 *   lenet5_train_epoch  LeNet-5, Adam 1e-3, batch 64, one epoch over the 60,000 training images
 *                       (the second epoch is timed, after one to warm caches, as the peer does)
 *   vgg16_forward       VGG16 conv base (include_top=False), 32x32x3 inputs, batch 256
 *                       (one warm-up pass, then one timed pass, as the peer does)
 * Each runs in its own process (see bench.ts) so its peak memory is its own.
 */
import * as tf from '@tensorflow/tfjs';
import { loadFashionMnist } from '../data/dataset.ts';
import { batchSlices, fillBatch, oneHot } from '../data/preprocess.ts';
import { IMAGE_SIZE, NUM_CLASSES } from '../data/source.ts';
import { buildModel } from '../models/index.ts';
import { lenet5 } from '../models/lenet5.ts';
import { makeOptimizer } from '../train/optimizer.ts';
import { prepareTrainee, trainStep } from '../train/step.ts';
import { Rng } from '../util/rng.ts';

const PIXELS = IMAGE_SIZE * IMAGE_SIZE;

export interface WorkloadResult {
  task: string;
  seconds: number;
  images_per_s: number;
  [k: string]: unknown;
}

export async function lenet5TrainEpoch(opts: { dataDir?: string; batch?: number; images?: number }): Promise<WorkloadResult> {
  const batch = opts.batch ?? 64;
  const data = loadFashionMnist({ dataDir: opts.dataDir, splits: ['train'] });
  const n = Math.min(opts.images ?? data.train.count, data.train.count);
  const model = lenet5({ seed: 0 });
  const trainee = prepareTrainee(model);
  const optimizer = makeOptimizer({ optimizer: 'adam', momentum: 0 });
  const rng = new Rng(0);
  const xBuf = new Float32Array(batch * PIXELS);
  const norm = { kind: 'unit' as const, mean: 0, std: 1 };
  let seconds = 0;
  for (let epoch = 0; epoch < 2; epoch++) {
    const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
    const t0 = performance.now();
    for (const idx of batchSlices(order, batch)) {
      fillBatch(data.train.images, idx, xBuf, norm);
      const r = tf.tidy(() => {
        const x = tf.tensor4d(xBuf.subarray(0, idx.length * PIXELS), [idx.length, IMAGE_SIZE, IMAGE_SIZE, 1]);
        return trainStep(trainee, optimizer, x, oneHot(data.train.labels, idx, NUM_CLASSES), { lr: 1e-3, labelSmoothing: 0, weightDecay: 0 });
      });
      await r.loss.data(); // the training loop reads every loss; so does the benchmark
      tf.dispose([r.loss, r.correct]);
    }
    seconds = (performance.now() - t0) / 1000;
  }
  model.dispose();
  optimizer.dispose();
  // Scale a partial epoch (--images) to the full 60,000 so figures compare with the peer's.
  const full = (seconds * data.train.count) / n;
  return { task: 'lenet5_train_epoch', batch, images: n, seconds: round(full), images_per_s: round(n / seconds, 1) };
}

export async function vgg16Forward(opts: { batch?: number }): Promise<WorkloadResult> {
  const batch = opts.batch ?? 256;
  const model = await buildModel('vgg16', { includeTop: false, weights: null, inputShape: [32, 32, 3] });
  const x = tf.randomUniform([batch, 32, 32, 3], 0, 1, 'float32', 0);
  const pass = async () => {
    const y = model.predict(x, { batchSize: batch }) as tf.Tensor; // one batch of 256, as the peer runs it
    await y.data();
    y.dispose();
  };
  await pass();
  const t0 = performance.now();
  await pass();
  const seconds = (performance.now() - t0) / 1000;
  x.dispose();
  model.dispose();
  return { task: 'vgg16_forward', input: [32, 32, 3], batch, seconds: round(seconds), images_per_s: round(batch / seconds, 1) };
}

const round = (v: number, digits = 3) => Math.round(v * 10 ** digits) / 10 ** digits;

export const WORKLOADS = {
  lenet5_train_epoch: lenet5TrainEpoch,
  vgg16_forward: vgg16Forward,
} as const;
export type TaskName = keyof typeof WORKLOADS;
