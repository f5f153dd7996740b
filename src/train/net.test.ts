import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseTrainConfig } from '../config.ts';
import { initBackend } from '../backend/select.ts';
import { dataFingerprint, loadFashionMnist, type FashionMnist } from '../data/dataset.ts';
import { buildClassifier } from '../models/classifier.ts';
import { loadModel } from '../store/model_io.ts';
import { savedBase } from '../../test/fixtures/small_base.ts';
import { bodyFeatures } from './features.ts';
import { phasesOf } from './net.ts';
import { train } from './train.ts';
import { assertResumesExactly } from './testing.ts';

let data: FashionMnist;
let root: string;
let baseDir: string;
before(async () => {
  await initBackend('wasm');
  data = loadFashionMnist();
  root = mkdtempSync(join(tmpdir(), 'fmnist-net-'));
  baseDir = join(root, 'base');
  await savedBase(baseDir);
  process.env.FMNIST_CACHE_DIR = join(root, 'cache');
});
after(() => {
  delete process.env.FMNIST_CACHE_DIR;
  rmSync(root, { recursive: true, force: true });
});

const transfer = (o: object = {}) => parseTrainConfig({ base: baseDir, mode: 'finetune', inputSize: 32, limit: 400, epochs: 3, headEpochs: 1, batchSize: 32, ...o });

test('phases by mode: features = head on features; finetune = head, then the base at finetuneLr; scratch and plain models = one phase', () => {
  const at = (o: object) => phasesOf(parseTrainConfig(o)).map((p) => [p.name, p.first, p.last, p.lr, p.features]);
  assert.deepEqual(at({ epochs: 5 }), [['all', 1, 5, 2e-3, false]]);
  assert.deepEqual(at({ base: 'vgg16', mode: 'features', epochs: 5 }), [['head', 1, 5, 2e-3, true]]);
  assert.deepEqual(at({ base: 'vgg16', mode: 'finetune', epochs: 5, headEpochs: 2, finetuneLr: 1e-5 }), [['head', 1, 2, 2e-3, true], ['finetune', 3, 5, 1e-5, false]]);
  assert.deepEqual(at({ base: 'vgg16', mode: 'finetune', epochs: 5, headEpochs: 0 }), [['finetune', 1, 5, 1e-4, false]]);
  assert.deepEqual(at({ base: 'vgg16', mode: 'scratch', epochs: 5 }), [['scratch', 1, 5, 2e-3, false]]);
});

test('features are cached by what they depend on: the same body and images read back, other weights computed anew', async () => {
  const c = await buildClassifier(transfer());
  const idx = Int32Array.from({ length: 50 }, (_, i) => i * 7);
  const dataKey = dataFingerprint(data);
  const first = await bodyFeatures(c.body, data.train.images, idx, { dataKey });
  assert.equal(first.cached, false);
  assert.equal(first.rows.length, 50 * first.dim);
  const again = await bodyFeatures(c.body, data.train.images, idx, { dataKey });
  assert.equal(again.cached, true);
  assert.deepEqual(again.rows, first.rows);
  const conv = c.model.getLayer('block1_conv');
  conv.setWeights(conv.getWeights().map((w) => tf.mul(w, 2)));
  const changed = await bodyFeatures(c.body, data.train.images, idx, { dataKey });
  assert.equal(changed.cached, false, 'new weights, new key');
  assert.notDeepEqual(changed.rows, first.rows);
  const fewer = await bodyFeatures(c.body, data.train.images, idx.subarray(0, 10), { dataKey });
  assert.equal(fewer.cached, false, 'other images, new key');
  c.model.dispose();
});

test('finetune keeps the base\'s BatchNorm in inference mode (moving statistics unchanged); --base-training moves them', async () => {
  const stats = (dir: string) => loadModel(dir).then((m) => { const w = m.getLayer('block1_bn').getWeights().slice(2).map((t) => Array.from(t.dataSync())); m.dispose(); return w; });
  const right = join(root, 'right');
  await train({ config: transfer(), outDir: right, data, keepBest: false }); // the last epoch, fine-tuned, whatever validation says
  const [mean, variance] = await stats(right);
  assert.ok(mean.every((v) => Math.abs(v - 0.3) < 1e-6) && variance.every((v) => Math.abs(v - 2) < 1e-6), 'the base\'s moving statistics as loaded');
  const head = (await loadModel(right)).getLayer('block2_conv').getWeights()[0].dataSync();
  const fresh = (await loadModel(baseDir)).getLayer('block2_conv').getWeights()[0].dataSync();
  assert.ok(head.some((v, i) => v !== fresh[i]), 'the base fine-tuned (its weights moved)');
  const wrong = join(root, 'wrong');
  await train({ config: transfer({ baseTraining: true }), outDir: wrong, data, keepBest: false });
  const [mean2] = await stats(wrong);
  assert.ok(mean2.some((v) => Math.abs(v - 0.3) > 1e-3), 'training mode updates the moving mean');
  assert.ok(existsSync(join(root, 'cache', 'features')) && readdirSync(join(root, 'cache', 'features')).some((f) => f.endsWith('.bin')), 'the head phase trained on cached features');
});

test('a finetune run stopped at the end of the head phase or inside fine-tuning resumes bit-identically', async () => {
  await assertResumesExactly(transfer({ dropout: 0.2 }), data, [1, 2]);
});
