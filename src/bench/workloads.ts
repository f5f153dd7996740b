/**
 * The benchmark's workloads, the same work as the project's PyTorch peer, bench/peer_pytorch.py
 * (its TASKS table; a task added here wants its entry there under the same name):
 *   lenet5_train_epoch  LeNet-5, Adam 1e-3, batch 64, one epoch over the 60,000 training images
 *                       (the second epoch is timed, after one to warm caches, as the peer does)
 *   resnet9_fast_epoch  ResNet-9-s trained by `fmnist train --recipe fast` for RESNET9_BENCH_EPOCHS epoch on
 *                       all 60,000 training images (no validation split), then its test accuracy
 *                       (the peer: the same network, recipe and epochs; time to accuracy, side by side)
 *   vgg16_forward       VGG16 conv base (include_top=False), 32x32x3 inputs, batch 256
 *                       (one warm-up pass, then one timed pass, as the peer does)
 *   *_train_step        one training step of a seed backbone (TRAIN_STEPS: VGG16 32x32 batch 64,
 *                       ResNet152V2 32x32 batch 32, MobileNetV2 96x96 batch 32, EfficientNetB1
 *                       32x32 batch 32): the Keras base without its top, global average pooling,
 *                       a 10-class head, softmax cross-entropy, Adam 1e-3, through the same
 *                       trainStep as `fmnist train`; WARMUP_STEPS untimed, then --steps timed
 * Each runs in its own process (see bench.ts) so its peak memory is its own.
 */
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_STEPS, TRAIN_STEPS, WARMUP_STEPS, type TaskName, type TrainStepTask } from './tasks.ts';
import { loadFashionMnist } from '../data/dataset.ts';
import { batchSlices, fillBatch, normalizationFor, oneHot } from '../data/preprocess.ts';
import { IMAGE_SIZE, NUM_CLASSES } from '../data/source.ts';
import { buildModel } from '../models/index.ts';
import { lenet5 } from '../models/lenet5.ts';
import { makeOptimizer } from '../train/optimizer.ts';
import { prepareTrainee, trainStep } from '../train/step.ts';
import { Rng } from '../util/rng.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeConfig } from '../config.ts';
import { recipeSettings } from '../recipes.ts';
import { train } from '../train/train.ts';
import { loadModel, readModelMetadata } from '../store/model_io.ts';
import { lossAndAccuracy, predictProbabilities } from '../models/predict.ts';

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

/** A backbone's base (no top, global average pooling) under a 10-class head: `logits`, then `predictions` (softmax). */
export async function backboneClassifier(name: string, side: number): Promise<tf.LayersModel> {
  const base = await buildModel(name, { includeTop: false, pooling: 'avg', weights: null, inputShape: [side, side, 3] });
  const logits = tf.layers.dense({ units: NUM_CLASSES, name: 'logits' }).apply(base.outputs[0]) as tf.SymbolicTensor;
  const probs = tf.layers.activation({ activation: 'softmax', name: 'predictions' }).apply(logits) as tf.SymbolicTensor;
  return tf.model({ inputs: base.inputs, outputs: probs, name: `${name}_classifier` });
}

export async function trainStepWorkload(task: TrainStepTask, opts: { steps?: number }): Promise<WorkloadResult> {
  const { model: name, side, batch } = TRAIN_STEPS[task];
  const steps = opts.steps ?? DEFAULT_STEPS;
  const model = await backboneClassifier(name, side);
  const trainee = prepareTrainee(model);
  const optimizer = makeOptimizer({ optimizer: 'adam', momentum: 0 });
  const x = tf.randomUniform([batch, side, side, 3], -1, 1, 'float32', 0);
  const y = tf.oneHot(tf.randomUniform([batch], 0, NUM_CLASSES, 'int32', 1), NUM_CLASSES).toFloat() as tf.Tensor2D;
  const step = async () => {
    const r = tf.tidy(() => trainStep(trainee, optimizer, x, y, { lr: 1e-3, labelSmoothing: 0, weightDecay: 0 }));
    await r.loss.data(); // the training loop reads every loss
    tf.dispose([r.loss, r.correct]);
  };
  for (let i = 0; i < WARMUP_STEPS; i++) await step();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await step();
  const seconds = (performance.now() - t0) / 1000;
  const params = model.countParams();
  tf.dispose([x, y]);
  model.dispose();
  optimizer.dispose();
  return { task, model: name, input: [side, side, 3], batch, steps, params, seconds: round(seconds), images_per_s: round((batch * steps) / seconds, 1) };
}

/** Epochs of the ResNet-9 workload (the peer's RESNET9_BENCH_EPOCHS must agree). */
export const RESNET9_BENCH_EPOCHS = 1;

/**
 * The `fast` recipe through the training loop itself (augmentation, EMA, checkpoints and all),
 * for RESNET9_BENCH_EPOCHS epochs on the whole training set (or a stratified --images of it),
 * then the saved model's test accuracy. seconds: the training epochs' wall time, scaled to
 * 60,000 images for a partial set.
 */
export async function resnet9FastEpoch(opts: { dataDir?: string; images?: number }): Promise<WorkloadResult> {
  const data = loadFashionMnist({ dataDir: opts.dataDir });
  const n = Math.min(opts.images ?? data.train.count, data.train.count);
  const config = mergeConfig({ origin: 'recipe fast', settings: recipeSettings('fast') }, { origin: 'bench', settings: { epochs: RESNET9_BENCH_EPOCHS, valSplit: 0, limit: n < data.train.count ? n : null } });
  const outDir = mkdtempSync(join(tmpdir(), 'fmnist-bench-resnet9-'));
  try {
    const r = await train({ config, outDir, data });
    const seconds = r.epochs.reduce((a, e) => a + e.seconds, 0);
    const model = await loadModel(outDir);
    const test = Int32Array.from({ length: data.test.count }, (_, i) => i);
    const { acc } = lossAndAccuracy(predictProbabilities(model, data.test.images, test, normalizationFor(readModelMetadata(outDir))), data.test.labels, test);
    model.dispose();
    return {
      task: 'resnet9_fast_epoch', model: config.model, epochs: config.epochs, batch: config.batchSize, images: n,
      seconds: round((seconds * data.train.count) / n), images_per_s: round((n * config.epochs) / seconds, 1), test_accuracy: round(acc, 4),
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

const round = (v: number, digits = 3) => Math.round(v * 10 ** digits) / 10 ** digits;

type Workload = (opts: { dataDir?: string; images?: number; steps?: number }) => Promise<WorkloadResult>;

export const WORKLOADS: Record<TaskName, Workload> = {
  lenet5_train_epoch: lenet5TrainEpoch,
  vgg16_forward: () => vgg16Forward({}),
  ...(Object.fromEntries(Object.keys(TRAIN_STEPS).map((t) => [t, (o: { steps?: number }) => trainStepWorkload(t as TrainStepTask, o)])) as Record<TrainStepTask, Workload>),
  resnet9_fast_epoch: (o) => resnet9FastEpoch(o),
};

export { DEFAULT_STEPS, TRAIN_STEPS, WARMUP_STEPS, type TaskName };
