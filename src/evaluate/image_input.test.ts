import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTrainConfig } from '../config.ts';
import { initBackend } from '../backend/select.ts';
import { loadFashionMnist, type FashionMnist } from '../data/dataset.ts';
import { normalizationFor, type Normalization } from '../data/preprocess.ts';
import { loadModel, readModelMetadata } from '../store/model_io.ts';
import { train } from '../train/train.ts';
import { importKerasModel } from '../keras/import_model.ts';
import { KERAS_H5_DIR } from '../../test/fixtures/index.ts';
import { argmaxRows } from './metrics.ts';
import { predictProbabilities } from '../models/predict.ts';
import { greyToFashion, imageToFashion, predictImage } from './image_input.ts';

/** Test images written out as files; the first N of the official test set. */
const N = 400;
const PIXELS = 784;

let data: FashionMnist;
let work: string;
let model: tf.LayersModel;
let norm: Normalization;

before(async () => {
  await initBackend('wasm');
  data = loadFashionMnist();
  work = mkdtempSync(join(tmpdir(), 'fmnist-image-input-'));
  // A real LeNet-5, small enough to train here in seconds (about 80% on the test set).
  const dir = join(work, 'model');
  await train({ config: parseTrainConfig({ limit: 6000, epochs: 2, batchSize: 32 }), outDir: dir, data });
  model = await loadModel(dir);
  norm = normalizationFor(readModelMetadata(dir));
});
after(() => {
  model?.dispose();
  rmSync(work, { recursive: true, force: true });
});

const testImage = (i: number) => data.test.images.subarray(i * PIXELS, (i + 1) * PIXELS);
const top1 = (probs: Float32Array) => argmaxRows(probs, 10)[0];
/** Top-1 classes of the first n test images by the code `fmnist evaluate` runs on the IDX file. */
const evaluatePath = (m: tf.LayersModel, n: number, nm: Normalization) => argmaxRows(predictProbabilities(m, data.test.images, Int32Array.from({ length: n }, (_, i) => i), nm), 10);

/** Test image i as a PNG, pixel for pixel as in the IDX file. */
async function writePng(i: number): Promise<string> {
  const file = join(work, 'png', `test-${i}.png`);
  mkdirSync(join(work, 'png'), { recursive: true });
  await sharp(Buffer.from(testImage(i)), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(file);
  return file;
}

/** Dark colours of garments, as RGB. */
const TINTS = [[25, 35, 95], [120, 25, 35], [45, 45, 45], [30, 85, 45], [95, 60, 25], [70, 30, 90]];

/**
 * Test image i as a product photo: a dark tinted product on a white background (the negative of
 * the dataset image, coloured), upscaled to 260x260 and placed off-centre on a 300x400 canvas,
 * saved as JPEG — what Zalando's photos looked like before they became Fashion-MNIST.
 */
async function writePhoto(i: number): Promise<string> {
  const px = testImage(i);
  const tint = TINTS[i % TINTS.length];
  const rgb = Buffer.alloc(PIXELS * 3);
  for (let p = 0; p < PIXELS; p++) for (let c = 0; c < 3; c++) rgb[p * 3 + c] = Math.round(255 - (px[p] / 255) * (255 - tint[c]));
  const left = 5 + ((i * 7) % 31);
  const top = 20 + ((i * 13) % 101);
  const file = join(work, 'photo', `test-${i}.jpg`);
  mkdirSync(join(work, 'photo'), { recursive: true });
  await sharp(await sharp(rgb, { raw: { width: 28, height: 28, channels: 3 } }).resize(260, 260, { kernel: 'cubic' }).png().toBuffer())
    .extend({ left, right: 40 - left, top, bottom: 140 - top, background: '#ffffff' })
    .jpeg({ quality: 90 })
    .toFile(file);
  return file;
}

test('test images written as PNG reach the model exactly as in the IDX file, and predict agrees with evaluate', async (t) => {
  const want = evaluatePath(model, N, norm);
  let identical = 0;
  let agree = 0;
  for (let i = 0; i < N; i++) {
    const file = await writePng(i);
    if (Buffer.from(await imageToFashion(file)).equals(Buffer.from(testImage(i)))) identical++;
    if (top1(await predictImage(model, file, norm)) === want[i]) agree++;
  }
  t.diagnostic(`${identical} of ${N} PNGs pixel-identical to the IDX images; predict = evaluate on ${agree}`);
  assert.equal(identical, N, 'a 28x28 image on a dark background passes through unchanged');
  assert.ok(agree >= N - 2, `predict and evaluate agree on ${agree} of ${N}`);
});

test('the same images as product photos (dark, tinted, on white, 300x400 JPEG) score within a few points of evaluate', async (t) => {
  const want = evaluatePath(model, N, norm);
  let evalRight = 0;
  let photoRight = 0;
  for (let i = 0; i < N; i++) {
    const y = data.test.labels[i];
    if (want[i] === y) evalRight++;
    if (top1(await predictImage(model, await writePhoto(i), norm)) === y) photoRight++;
  }
  const [evalAcc, photoAcc] = [evalRight / N, photoRight / N];
  t.diagnostic(`accuracy on ${N} test images: evaluate ${(evalAcc * 100).toFixed(1)}%, as product photos ${(photoAcc * 100).toFixed(1)}%`);
  assert.ok(evalAcc > 0.7, `the model is a real one: ${(evalAcc * 100).toFixed(1)}%`);
  assert.ok(Math.abs(photoAcc - evalAcc) <= 0.03, `photos ${(photoAcc * 100).toFixed(1)}% vs evaluate ${(evalAcc * 100).toFixed(1)}% on the same ${N} images`);
});

test('a product photo becomes a dataset-like image: trimmed, longest edge 28, centred, light on black', async () => {
  // Test image 2 is a trouser: tall and narrow, so its width is centred and its height fills 28 rows.
  const got = await imageToFashion(await writePhoto(2));
  const rows = (a: Uint8Array) => Array.from({ length: 28 }, (_, y) => a.subarray(y * 28, y * 28 + 28).some((v) => v > 40));
  const cols = (a: Uint8Array) => Array.from({ length: 28 }, (_, x) => Array.from({ length: 28 }, (_, y) => a[y * 28 + x]).some((v) => v > 40));
  assert.deepEqual(rows(got), rows(testImage(2)), 'same rows covered');
  const span = (b: boolean[]) => [b.indexOf(true), b.lastIndexOf(true)];
  const [g0, g1] = span(cols(got));
  const [w0, w1] = span(cols(testImage(2)));
  assert.ok(Math.abs(g1 - g0 - (w1 - w0)) <= 1 && Math.abs((g0 + g1) / 2 - 13.5) <= 1, `columns ${g0}-${g1}, the dataset's ${w0}-${w1}`);
  // Mean absolute difference from the dataset image: resampling and JPEG cost a little, not more.
  let diff = 0;
  for (let p = 0; p < PIXELS; p++) diff += Math.abs(got[p] - testImage(2)[p]);
  assert.ok(diff / PIXELS < 25, `mean difference ${(diff / PIXELS).toFixed(1)} of 255`);
});

test('light backgrounds are negated (28x28 ones only negated); off-white is levelled to black; blank stays blank', async () => {
  const img = testImage(0);
  const negative = img.map((v) => 255 - v);
  assert.deepEqual(await greyToFashion({ data: negative, width: 28, height: 28 }), img, 'a negated dataset image comes back exactly');
  // A 56x56 off-white (230) canvas with a black 20x40 block: background 0, block 255, 14x28 centred.
  const canvas = new Uint8Array(56 * 56).fill(230);
  for (let y = 8; y < 48; y++) canvas.fill(0, y * 56 + 30, y * 56 + 50);
  const got = await greyToFashion({ data: canvas, width: 56, height: 56 });
  assert.equal(got[0], 0);
  assert.equal(got[14 * 28 + 14], 255);
  assert.deepEqual([got[14 * 28 + 6], got[14 * 28 + 7], got[14 * 28 + 20], got[14 * 28 + 21]], [0, 255, 255, 0], 'columns 7-20');
  assert.deepEqual(await greyToFashion({ data: new Uint8Array(40 * 30).fill(250), width: 40, height: 30 }), new Uint8Array(PIXELS));
});

test('TensorFlow\'s tutorial model (input [null,28,28], no channel axis) predicts PNGs as evaluate does', async () => {
  const r = await importKerasModel(join(KERAS_H5_DIR, 'tf-tutorial-flatten-28x28-model.h5'));
  const unit: Normalization = { kind: 'unit', mean: 0, std: 1 };
  const n = 50;
  const want = evaluatePath(r.model, n, unit);
  let agree = 0;
  for (let i = 0; i < n; i++) if (top1(await predictImage(r.model, await writePng(i), unit)) === want[i]) agree++;
  assert.equal(agree, n);
  r.model.dispose();
});

test('bad image files are UserErrors (exit 2) naming the file as given: missing, a folder, not an image, truncated', async () => {
  const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { UserError } = await import('../util/errors.ts');
  const dir = mkdtempSync(join(tmpdir(), 'image-input-'));
  try {
    const cases: [string, RegExp][] = [
      [join(dir, 'missing.png'), /: file not found$/],
      [join(dir, 'folder.png'), /: not a file$/],
      [join(dir, 'text.png'), /: not a readable PNG or JPEG image/],
      [join(dir, 'cut.png'), /: not a readable PNG or JPEG image/],
    ];
    mkdirSync(join(dir, 'folder.png'));
    writeFileSync(join(dir, 'text.png'), 'not an image');
    writeFileSync(join(dir, 'cut.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
    for (const [file, why] of cases) {
      await assert.rejects(imageToFashion(file), (e: Error) => {
        assert.ok(e instanceof UserError, `${file}: ${e}`);
        assert.equal(e.exitCode, 2);
        assert.ok(e.message.startsWith(`${file}: `), e.message);
        assert.match(e.message, why);
        return true;
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
