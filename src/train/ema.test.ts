/** EMA of the weights: the average on hand-computed values, its swap in and out, checkpoints, and exact resume in a real run. */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTrainConfig } from '../config.ts';
import { initBackend } from '../backend/select.ts';
import { loadFashionMnist, type FashionMnist } from '../data/dataset.ts';
import { loadModel } from '../store/model_io.ts';
import { WeightEma, emaDecay } from './ema.ts';
import { readCheckpoint } from './checkpoint.ts';
import { train } from './train.ts';

let data: FashionMnist;
before(async () => {
  await initBackend('wasm');
  data = loadFashionMnist();
});

/** A one-weight model (dense 1→1, no bias) whose weight is set by hand. */
function scalarModel(w: number): tf.LayersModel {
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1], useBias: false, kernelInitializer: 'zeros' })] });
  m.setWeights([tf.tensor2d([[w]])]);
  return m;
}
const value = (t: tf.Tensor) => t.dataSync()[0];

test('the decay warms up as (1 + t) / (10 + t), then stays at the given decay', () => {
  assert.equal(emaDecay(0.999, 0), 0.1);
  assert.equal(emaDecay(0.999, 1), 2 / 11);
  assert.equal(emaDecay(0.9, 1000), 0.9);
  assert.equal(emaDecay(0.999, 100000), 0.999);
});

test('the average of known weights, and running with it swapped in', async () => {
  const m = scalarModel(1);
  const ema = new WeightEma(m, 0.5);
  m.setWeights([tf.tensor2d([[3]])]);
  ema.update(0); // d = 0.1: 0.1·1 + 0.9·3
  assert.ok(Math.abs(value(ema.values()[0]) - 2.8) < 1e-6);
  m.setWeights([tf.tensor2d([[5]])]);
  ema.update(1); // d = 2/11
  const want = (2 / 11) * 2.8 + (9 / 11) * 5;
  assert.ok(Math.abs(value(ema.values()[0]) - want) < 1e-5);
  m.setWeights([tf.tensor2d([[-1]])]);
  ema.update(1000); // d = 0.5
  const want2 = 0.5 * want + 0.5 * -1;
  assert.ok(Math.abs(value(ema.values()[0]) - want2) < 1e-5);
  const inside = await ema.applied(m, () => value(m.predict(tf.tensor2d([[1]])) as tf.Tensor));
  assert.ok(Math.abs(inside - want2) < 1e-5, 'the model predicts with the average inside');
  assert.equal(value(m.getWeights()[0]), -1, 'and with its trained weight after');

  const dir = mkdtempSync(join(tmpdir(), 'fmnist-ema-'));
  await ema.save(dir);
  const other = new WeightEma(scalarModel(7), 0.5);
  other.load(dir);
  assert.equal(value(other.values()[0]), value(ema.values()[0]), 'a checkpointed average loads bit for bit');
  assert.throws(() => other.load(tmpdir()), /no ema\.json: the checkpoint was made without --ema/);
  rmSync(dir, { recursive: true });
  ema.dispose();
  other.dispose();
  m.dispose();
});

test('a ResNet-9 run with EMA and erasing: the saved model is the average, and resuming is bit-identical', async () => {
  const cfg = parseTrainConfig({ model: 'resnet9_xs', limit: 120, epochs: 2, batchSize: 30, valSplit: 0.25, optimizer: 'sgd', lr: 0.05, weightDecay: 5e-4, ema: 0.9, erasing: 0.5 });
  const whole = mkdtempSync(join(tmpdir(), 'fmnist-ema-run-'));
  const w = await train({ config: cfg, outDir: whole, data });
  const kept = readCheckpoint(whole)!;
  const saved = await loadModel(whole);
  const emaFile = readFileSync(join(whole, `ckpt-${String(w.bestEpoch).padStart(4, '0')}`, 'ema.bin'));
  const weights = readFileSync(join(whole, 'weights.bin'));
  assert.deepEqual(weights, emaFile, 'model weights = the kept epoch\'s average');
  assert.notDeepEqual(readFileSync(join(whole, kept.folder, 'weights.bin')), emaFile, 'which differs from the trained weights');
  saved.dispose();

  const dir = mkdtempSync(join(tmpdir(), 'fmnist-ema-run-'));
  const controller = new AbortController();
  await assert.rejects(train({ config: cfg, outDir: dir, data, signal: controller.signal, onEpoch: () => controller.abort() }), /checkpoint of epoch 1/);
  const r = await train({ config: cfg, outDir: dir, data, resume: true });
  assert.deepEqual(r.epochs.map((e) => [e.loss, e.valLoss]), w.epochs.map((e) => [e.loss, e.valLoss]));
  assert.deepEqual(readFileSync(join(dir, 'weights.bin')), weights, 'the same averaged weights');
  rmSync(dir, { recursive: true });
  rmSync(whole, { recursive: true });
});
