/** Flip TTA and ensembles on models whose answers are known by construction. */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFashionMnist, type FashionMnist } from '../data/dataset.ts';
import { predictProbabilities } from '../models/predict.ts';
import { saveModel } from '../store/model_io.ts';
import { evaluateEnsemble, meanProbabilities } from './ensemble.ts';

let data: FashionMnist;
before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  data = loadFashionMnist();
});

const unit = { kind: 'unit' as const, mean: 0, std: 1 };

/** input → flatten → dense 10 (kernel, bias given) → softmax. */
function linearModel(kernel: tf.Tensor2D, bias: number[]): tf.LayersModel {
  const input = tf.input({ shape: [28, 28, 1] });
  const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
  const dense = tf.layers.dense({ units: 10, activation: 'softmax' });
  const out = dense.apply(flat) as tf.SymbolicTensor;
  dense.setWeights([kernel, tf.tensor1d(bias)]);
  return tf.model({ inputs: input, outputs: out });
}

test('flip TTA is the mean of the probabilities of each image and its mirror', () => {
  // Class 0's logit is the sum of the left half's pixels, class 1's of the right half's: not mirror-symmetric.
  const k = new Float32Array(784 * 10);
  for (let p = 0; p < 784; p++) k[p * 10 + (p % 28 < 14 ? 0 : 1)] = 0.01;
  const model = linearModel(tf.tensor2d(k, [784, 10]), new Array(10).fill(0));
  const n = 5;
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  const mirrored = new Uint8Array(n * 784);
  for (let i = 0; i < n; i++) for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) mirrored[i * 784 + y * 28 + x] = data.test.images[i * 784 + y * 28 + 27 - x];
  const plain = predictProbabilities(model, data.test.images, idx, unit);
  const flipped = predictProbabilities(model, mirrored, idx, unit);
  const tta = predictProbabilities(model, data.test.images, idx, unit, { tta: true });
  assert.ok(plain.some((v, i) => Math.abs(v - flipped[i]) > 1e-3), 'the model tells an image from its mirror');
  for (let i = 0; i < tta.length; i++) assert.ok(Math.abs(tta[i] - (plain[i] + flipped[i]) / 2) < 1e-6, `element ${i}`);
  model.dispose();
});

test('an ensemble averages its members\' probabilities: accuracies and losses of constant models', async () => {
  assert.deepEqual(Array.from(meanProbabilities([Float32Array.of(0.2, 0.8), Float32Array.of(0.6, 0.4)])), [Math.fround(0.4), Math.fround(0.6)]);
  const dir = mkdtempSync(join(tmpdir(), 'fmnist-ensemble-'));
  // Constant answers: A favours class 0 (logit 2), B class 1 (logit 1); their mean favours class 0.
  const zeros = tf.zeros([784, 10]) as tf.Tensor2D;
  const logitsA = [2, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const logitsB = [0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
  const dirs = [join(dir, 'a'), join(dir, 'b')];
  for (const [i, logits] of [logitsA, logitsB].entries()) {
    const m = linearModel(zeros, logits);
    await saveModel(m, dirs[i], { inputScale: 'unit' });
    m.dispose();
  }
  const r = await evaluateEnsemble(dirs, data);
  const softmax = (l: number[]) => { const e = l.map(Math.exp); const s = e.reduce((a, b) => a + b, 0); return e.map((v) => v / s); };
  const [pA, pB] = [softmax(logitsA), softmax(logitsB)];
  const pMean = pA.map((v, k) => (v + pB[k]) / 2);
  // The test set has 1,000 images of each class: a constant answer is right 10% of the time, and
  // its loss is the mean over classes of -log p[class].
  const lossOf = (p: number[]) => p.reduce((a, v) => a - Math.log(v), 0) / 10;
  assert.equal(r.count, 10000);
  assert.deepEqual(r.members.map((m) => m.accuracy), [0.1, 0.1]);
  assert.equal(r.ensemble.accuracy, 0.1);
  assert.ok(Math.abs(r.members[0].loss - lossOf(pA)) < 1e-5 && Math.abs(r.members[1].loss - lossOf(pB)) < 1e-5);
  assert.ok(Math.abs(r.ensemble.loss - lossOf(pMean)) < 1e-5, `${r.ensemble.loss} vs ${lossOf(pMean)}`);
  zeros.dispose();
  rmSync(dir, { recursive: true });
});
