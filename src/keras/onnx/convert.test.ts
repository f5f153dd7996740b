/**
 * ONNX export against ONNX Runtime (onnxruntime-node): each architecture, saved and loaded as runs
 * are, exported, run by ONNX Runtime on real Fashion-MNIST test images fed as the file says
 * (pixel/255, 28x28x1), and its probabilities compared with ours (predictProbabilities, what
 * evaluate and predict use) to 1e-4.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { initBackend } from '../../backend/select.ts';
import { parseTrainConfig } from '../../config.ts';
import { loadFashionMnist } from '../../data/dataset.ts';
import { fillBatch, toModelInput, imagesToTensor, type Normalization } from '../../data/preprocess.ts';
import { buildClassifier } from '../../models/classifier.ts';
import { buildModel } from '../../models/index.ts';
import { predictProbabilities } from '../../models/predict.ts';
import { calibrate } from '../../models/testing.ts';
import { loadModel, saveModel } from '../../store/model_io.ts';
import { UserError } from '../../util/errors.ts';
import { exportOnnx } from '../export_model.ts';
import { decodeModel } from './proto.ts';

await initBackend('native').catch(() => initBackend('cpu'));
const test1 = loadFashionMnist({ splits: ['test'] }).test;
const UNIT: Normalization = { kind: 'unit', mean: 0, std: 1 };
const IMAGES = Int32Array.from({ length: 32 }, (_, i) => i);

/** ONNX Runtime's probabilities for test images `indices`, fed as the file's input says: pixel/255, [n,28,28,1]. */
async function onnxProbabilities(file: string, indices: Int32Array): Promise<Float32Array> {
  const x = new Float32Array(indices.length * 784);
  fillBatch(test1.images, indices, x, UNIT);
  const session = await ort.InferenceSession.create(file);
  const out = await session.run({ image: new ort.Tensor('float32', x, [indices.length, 28, 28, 1]) });
  return out.probabilities.data as Float32Array;
}

/** Calibrate `model` (models/testing.ts), save and load it as a run, export it, compare ONNX Runtime with us. */
async function roundTrip(work: string, name: string, model: tf.LayersModel, norm = UNIT): Promise<Float32Array> {
  const calibration = imagesToTensor(test1.images, norm, Array.from({ length: 32 }, (_, i) => 100 + i));
  calibrate(model, toModelInput(model.inputs[0].shape, calibration));
  await saveModel(model, join(work, name), { inputScale: norm.kind, normalization: norm });
  const saved = await loadModel(join(work, name));
  const want = predictProbabilities(saved, test1.images, IMAGES, norm);
  const file = join(work, `${name}.onnx`);
  const r = exportOnnx(saved, file, { normalization: norm });
  assert.equal(r.opset, 13);
  assert.deepEqual(r.input, { name: 'image', shape: ['N', 28, 28, 1] });
  assert.deepEqual(r.output, { name: 'probabilities', shape: ['N', 10] });
  assertEveryWeight(saved, file);
  assert.ok(r.values >= saved.countParams());
  const got = await onnxProbabilities(file, IMAGES);
  assert.equal(got.length, want.length);
  const diff = Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i])));
  assert.ok(diff <= 1e-4, `${name}: max abs diff ${diff}`);
  // The probabilities spread (a calibrated network), so the comparison can fail.
  const [low, high] = [Math.min(...want), Math.max(...want)];
  assert.ok(high - low > 0.05, `${name}: probabilities spread only ${low}..${high}`);
  saved.dispose();
  return want;
}

/** Every weight of the model is in the file under its own name, with all its values. */
function assertEveryWeight(model: tf.LayersModel, file: string): void {
  const { graph } = decodeModel(readFileSync(file));
  const sizes = new Map(graph.initializers.map((t) => [t.name, t.raw.length / 4]));
  for (const w of model.weights) {
    assert.equal(sizes.get(w.originalName), (w.shape as number[]).reduce((a, b) => a * b, 1), `${model.name}: ${w.originalName}`);
  }
}

test('LeNet-5 and the ResNet-9s in ONNX Runtime: the probabilities we compute, standardised inputs too', async () => {
  const work = mkdtempSync(join(tmpdir(), 'onnx-'));
  try {
    const build = (name: string, seed: number) => buildModel(name, { inputShape: [28, 28, 1], classes: 10, seed });
    await roundTrip(work, 'lenet5', await build('lenet5', 1));
    await roundTrip(work, 'lenet5_standard', await build('lenet5', 2), { kind: 'standard', mean: 0.286, std: 0.353 });
    for (const variant of ['resnet9_xs', 'resnet9_s', 'resnet9']) await roundTrip(work, variant, await build(variant, 1));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('transfer classifiers (resized inside, grey to RGB, every base) and a Keras top in ONNX Runtime', async () => {
  const work = mkdtempSync(join(tmpdir(), 'onnx-'));
  try {
    for (const base of ['mobilenet_0.25', 'mobilenetv2', 'efficientnetb0', 'resnet50v2', 'vgg16']) {
      const c = await buildClassifier(parseTrainConfig({ base, mode: 'scratch', inputSize: 32, epochs: 1, seed: 1 }));
      if (base === 'efficientnetb0') {
        const [mean, variance] = [tf.tensor1d([0.485, 0.456, 0.406]), tf.tensor1d([0.052, 0.05, 0.051])];
        c.model.getLayer('normalization').setWeights([mean, variance, tf.scalar(1e6)]);
      }
      const want = await roundTrip(work, base, c.model);
      if (base !== 'efficientnetb0') continue;
      // As built, before saving folds it (and as runs saved before folding hold it): Normalization itself.
      assert.equal(c.model.getLayer('normalization').getClassName(), 'Normalization');
      exportOnnx(c.model, join(work, 'live.onnx'), { normalization: UNIT });
      const got = await onnxProbabilities(join(work, 'live.onnx'), IMAGES);
      assert.ok(Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i]))) <= 1e-4);
    }
    // MobileNet with its own top: keepdims pooling, a 1x1 convolution as classifier, Reshape; input [32,32,3].
    const top = await buildModel('mobilenet_0.25', { includeTop: true, classes: 10, inputShape: [32, 32, 3] });
    await roundTrip(work, 'mobilenet_top', top);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

/** Zero padding before max and average pooling (what runtimes fuse wrongly), joined by a channel Concatenate. */
function paddedPools(): tf.LayersModel {
  const input = tf.input({ shape: [28, 28, 1] });
  const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'conv' }).apply(input) as tf.SymbolicTensor;
  const padded = (name: string) => tf.layers.zeroPadding2d({ padding: [[1, 2], [2, 1]], name }).apply(conv);
  const max = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, name: 'max' }).apply(padded('pad_max'));
  const avg = tf.layers.averagePooling2d({ poolSize: 3, strides: 2, name: 'avg' }).apply(padded('pad_avg'));
  const both = tf.layers.concatenate({ name: 'both' }).apply([max, avg] as tf.SymbolicTensor[]);
  const flat = tf.layers.flatten({ name: 'flat' }).apply(both);
  const out = tf.layers.dense({ units: 10, activation: 'softmax', name: 'out' }).apply(flat) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

test('zero padding before pooling, as tfjs pads: zeros count, whether ONNX Runtime fuses them or not', async () => {
  const work = mkdtempSync(join(tmpdir(), 'onnx-'));
  try {
    // The convolution's bias pushes its outputs negative, so a border window's maximum is the padding's 0.
    const model = paddedPools();
    const [kernel] = model.getLayer('conv').getWeights();
    model.getLayer('conv').setWeights([kernel, tf.fill([4], -0.5)]);
    await roundTrip(work, 'padded_pools', model);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('a layer with no ONNX mapping: one line naming it, and no file', async () => {
  const work = mkdtempSync(join(tmpdir(), 'onnx-'));
  try {
    const input = tf.input({ shape: [28, 28, 1] });
    const up = tf.layers.upSampling2d({ size: [2, 2], name: 'up' }).apply(input) as tf.SymbolicTensor;
    const flat = tf.layers.flatten().apply(up);
    const out = tf.layers.dense({ units: 10, activation: 'softmax' }).apply(flat) as tf.SymbolicTensor;
    const file = join(work, 'm.onnx');
    assert.throws(() => exportOnnx(tf.model({ inputs: input, outputs: out }), file, { normalization: UNIT }),
      (e: Error) => e instanceof UserError && !e.message.includes('\n') &&
        /^layer 'up' \(UpSampling2D\) has no ONNX mapping here; ONNX export supports Conv2D, /.test(e.message));
    assert.throws(() => readFileSync(file), /ENOENT/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
