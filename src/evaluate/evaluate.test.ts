import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTrainConfig } from '../config.ts';
import { initBackend } from '../backend/select.ts';
import { loadFashionMnist, type FashionMnist } from '../data/dataset.ts';
import { train } from '../train/train.ts';
import { evaluateModel } from './evaluate.ts';
import { computeMetrics, confidentlyWrong } from './metrics.ts';
import { imageToFashion } from './image_input.ts';

let data: FashionMnist;
let modelDir: string;
let work: string;

before(async () => {
  await initBackend('wasm');
  data = loadFashionMnist();
  work = mkdtempSync(join(tmpdir(), 'fmnist-eval-'));
  modelDir = join(work, 'model');
  await train({ config: parseTrainConfig({ limit: 2000, epochs: 1, batchSize: 32 }), outDir: modelDir, data });
});
after(() => rmSync(work, { recursive: true, force: true }));

test('metrics: confusion, precision/recall/F1 on a hand-checked case', () => {
  // 4 examples, 3 classes: truths 0,0,1,2; predictions 0,1,1,1.
  const probs = Float32Array.from([0.9, 0.1, 0, 0.2, 0.7, 0.1, 0.1, 0.8, 0.1, 0.3, 0.6, 0.1]);
  const m = computeMetrics(probs, [0, 0, 1, 2], ['a', 'b', 'c']);
  assert.deepEqual(m.confusion, [[1, 1, 0], [0, 1, 0], [0, 1, 0]]);
  assert.equal(m.accuracy, 0.5);
  assert.equal(m.perClass[1].precision, 1 / 3);
  assert.equal(m.perClass[1].recall, 1);
  assert.equal(m.perClass[0].f1, 2 / 3);
  assert.equal(m.perClass[2].f1, 0);
  assert.ok(Math.abs(m.loss - -(Math.log(0.9) + Math.log(0.2) + Math.log(0.8) + Math.log(0.1)) / 4) < 1e-6);
  const wrong = confidentlyWrong(probs, [0, 0, 1, 2], 3, 5);
  assert.deepEqual(wrong.map((w) => w.index), [1, 3], 'most confident mistake first');
});

test('evaluate on the test split writes metrics, confusion (JSON+PNG) and the mistakes gallery', async () => {
  const r = await evaluateModel(modelDir, 'test', data);
  assert.equal(r.count, 10000);
  assert.equal(r.confusion.flat().reduce((a, b) => a + b, 0), 10000);
  assert.ok(r.accuracy > 0.3 && r.accuracy < 1, `accuracy ${r.accuracy}: well above chance (0.1) after one short epoch`);
  for (const f of Object.values(r.files)) assert.ok(existsSync(f), f);
  const png = await sharp(r.files.confusionPng).metadata();
  assert.ok(png.width! > 300 && png.height! > 300);
  assert.deepEqual(JSON.parse(readFileSync(r.files.confusionJson, 'utf8')).matrix, r.confusion);
  const val = await evaluateModel(modelDir, 'val', data);
  assert.equal(val.count, 200, 'the 10% of the 2,000-image subset the run held out');
});

test('image input: a light product on white becomes light on black, fitted and centred in 28x28', async () => {
  // A 200x100 white canvas with a dark grey 60x80 rectangle at the left.
  const raw = Buffer.alloc(200 * 100 * 3, 255);
  for (let y = 10; y < 90; y++) for (let x = 20; x < 80; x++) raw.fill(60, (y * 200 + x) * 3, (y * 200 + x) * 3 + 3);
  const file = join(work, 'rect.jpg');
  await sharp(raw, { raw: { width: 200, height: 100, channels: 3 } }).jpeg().toFile(file);
  const px = await imageToFashion(file);
  assert.equal(px.length, 784);
  assert.ok(px[0] < 20, 'background is dark');
  assert.ok(px[14 * 28 + 14] > 150, 'the object is light and centred');
  // Tall object (80 high, 60 wide) → fills the height, centred across: dark margins left and right.
  assert.ok(px[14 * 28 + 1] < 40 && px[14 * 28 + 26] < 40);
});

test('predict: bad files get one line each naming them, the good ones are still predicted, exit 2 (a user error)', async () => {
  const good = join(work, 'good.png');
  await sharp({ create: { width: 64, height: 48, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0.5 } } }).png().toFile(good);
  const text = join(work, 'notes.png');
  writeFileSync(text, 'this is not an image');
  const truncated = join(work, 'cut.png');
  writeFileSync(truncated, readFileSync(good).subarray(0, 40));
  const r = spawnSync(process.execPath, ['bin/fmnist.js', '--backend', 'wasm', 'predict', modelDir, good, text, truncated, join(work, 'missing.jpg'), '--top', '2'], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stdout, /good\.png: \S.* \d+\.\d%, .* \d+\.\d%/);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('fmnist: '));
  assert.equal(errors.length, 3, r.stderr);
  assert.ok(errors[0].startsWith(`fmnist: ${text}: not a readable PNG or JPEG image`), errors[0]);
  assert.ok(errors[1].startsWith(`fmnist: ${truncated}: not a readable PNG or JPEG image`), errors[1]);
  assert.match(errors[2], /missing\.jpg: file not found/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  const json = spawnSync(process.execPath, ['bin/fmnist.js', '--backend', 'wasm', '--json', 'predict', modelDir, good, text], { encoding: 'utf8' });
  const parsed = JSON.parse(json.stdout);
  assert.equal(parsed[0].top.length, 3);
  const probs = parsed[0].top.map((t: { probability: number }) => t.probability);
  assert.ok(probs.every((p: number, i: number) => p > 0 && p < 1 && (i === 0 || p <= probs[i - 1])), 'top classes, most probable first');
  assert.match(parsed[1].error, /not a readable/);
});
