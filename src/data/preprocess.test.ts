import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { fillBatch, forPretrained, imagesToTensor, makeNormalization, modelInputShape, normalizationFor, oneHot, pixelStats, batchSlices, toModelInput } from './preprocess.ts';
import { UserError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';

tf.env().set('PROD', true);
await tf.setBackend('cpu');

/** Two 28x28 images: a single bright pixel at (row 5, col 3), and all-128. */
function images(): Uint8Array {
  const a = new Uint8Array(2 * 784);
  a[5 * 28 + 3] = 255;
  a.fill(128, 784);
  return a;
}

test('unit scaling maps 0..255 to 0..1; standard uses the given mean/std', () => {
  const out = new Float32Array(2 * 784);
  fillBatch(images(), [0, 1], out, { kind: 'unit', mean: 0, std: 1 });
  assert.equal(out[5 * 28 + 3], 1);
  assert.equal(out[0], 0);
  assert.ok(Math.abs(out[784] - 128 / 255) < 1e-7);
  fillBatch(images(), [1], out, { kind: 'standard', mean: 0.5, std: 0.25 });
  assert.ok(Math.abs(out[0] - (128 / 255 - 0.5) / 0.25) < 1e-6);
});

test('pixelStats matches a direct computation', () => {
  const s = pixelStats(images());
  const all = Array.from(images(), (v) => v / 255);
  const mean = all.reduce((a, b) => a + b, 0) / all.length;
  const std = Math.sqrt(all.reduce((a, b) => a + (b - mean) ** 2, 0) / all.length);
  assert.ok(Math.abs(s.mean - mean) < 1e-9 && Math.abs(s.std - std) < 1e-9);
  const n = makeNormalization('standard', images(), [1]);
  assert.ok(Math.abs(n.mean - 128 / 255) < 1e-9 && n.std === 0);
});

test('augmentation shifts within ±shift pixels, flips mirror columns, and is seeded', () => {
  const seen = new Set<string>();
  for (let seed = 0; seed < 200; seed++) {
    const out = new Float32Array(784);
    fillBatch(images(), [0], out, { kind: 'unit', mean: 0, std: 1 }, { rng: new Rng(seed), shift: 2, flip: true });
    const at = out.findIndex((v) => v === 1);
    const [r, c] = [Math.floor(at / 28), at % 28];
    assert.ok(Math.abs(r - 5) <= 2, `row ${r}`);
    // Unflipped the pixel stays near column 3; flipped it lands near column 24.
    assert.ok(Math.abs(c - 3) <= 2 || Math.abs(c - 24) <= 2, `col ${c}`);
    assert.equal(out.filter((v) => v !== 0).length, 1, 'one pixel moved, none invented');
    seen.add(`${r},${c}`);
  }
  assert.ok(seen.size > 20, 'many different placements');
  const a = new Float32Array(784);
  const b = new Float32Array(784);
  fillBatch(images(), [0], a, { kind: 'unit', mean: 0, std: 1 }, { rng: new Rng(7), shift: 2, flip: true });
  fillBatch(images(), [0], b, { kind: 'unit', mean: 0, std: 1 }, { rng: new Rng(7), shift: 2, flip: true });
  assert.deepEqual(a, b, 'same seed, same augmentation');
});

test('random erasing: one background rectangle of 2–40% of the image with probability p, seeded', () => {
  const norm = { kind: 'standard' as const, mean: 0.25, std: 0.5 };
  const background = Math.fround((0 - 0.25) / 0.5);
  const plain = new Float32Array(784);
  fillBatch(images(), [1], plain, norm);
  let erased = 0;
  const trials = 400;
  for (let seed = 0; seed < trials; seed++) {
    const out = new Float32Array(784);
    fillBatch(images(), [1], out, norm, { rng: new Rng(seed), shift: 0, flip: false, erasing: 0.5 });
    const cells = [...out.keys()].filter((i) => out[i] !== plain[i]);
    if (cells.length === 0) continue;
    erased++;
    assert.ok(cells.every((i) => out[i] === background), 'erased pixels are the background value');
    const rows = cells.map((i) => Math.floor(i / 28));
    const cols = cells.map((i) => i % 28);
    const h = Math.max(...rows) - Math.min(...rows) + 1;
    const w = Math.max(...cols) - Math.min(...cols) + 1;
    assert.equal(cells.length, h * w, 'a filled rectangle');
    // 2–40% of 784 pixels before rounding each side and clipping to the image.
    assert.ok(cells.length >= 9 && cells.length <= 0.4 * 784 * 1.2, `area ${cells.length}`);
  }
  assert.ok(Math.abs(erased / trials - 0.5) < 0.08, `erased ${erased} of ${trials}`);
  const a = new Float32Array(784);
  const b = new Float32Array(784);
  fillBatch(images(), [1], a, norm, { rng: new Rng(3), shift: 1, flip: true, erasing: 1 });
  fillBatch(images(), [1], b, norm, { rng: new Rng(3), shift: 1, flip: true, erasing: 1 });
  assert.deepEqual(a, b, 'same seed, same rectangle');
  // Off (0 or absent), it draws nothing: runs without it keep their random stream.
  const r0 = new Rng(5);
  const r1 = new Rng(5);
  fillBatch(images(), [0], a, norm, { rng: r0, shift: 1, flip: true, erasing: 0 });
  fillBatch(images(), [0], b, norm, { rng: r1, shift: 1, flip: true });
  assert.equal(r0.state, r1.state);
});

test('tensors are NHWC; pretrained inputs are resized and grey→RGB', () => {
  const x = imagesToTensor(images(), { kind: 'unit', mean: 0, std: 1 });
  assert.deepEqual(x.shape, [2, 28, 28, 1]);
  const y = forPretrained(x, 32);
  assert.deepEqual(y.shape, [2, 32, 32, 3]);
  const v = y.arraySync() as number[][][][];
  assert.ok(Math.abs(v[1][10][10][0] - 128 / 255) < 1e-6 && v[1][10][10][0] === v[1][10][10][2], 'flat image stays flat, channels equal');
  tf.dispose([x, y]);
});

test('toModelInput fits 28x28 grey batches to every supported model input shape, without leaking tensors', () => {
  const x = imagesToTensor(images(), { kind: 'unit', mean: 0, std: 1 });
  const before = tf.memory().numTensors;
  const fit = (shape: (number | null)[]) => {
    const y = toModelInput(shape, x);
    const out = { shape: y.shape, v: y.arraySync() as unknown };
    if (y !== x) y.dispose();
    return out;
  };
  // This project's models, and fully convolutional ones with unknown sizes: the batch as it is.
  assert.equal(toModelInput([null, 28, 28, 1], x), x);
  assert.equal(toModelInput([null, null, null, 1], x), x);
  // Keras' Flatten(input_shape=(28, 28)) (TensorFlow's tutorial): no channel axis, same pixels.
  const grid = fit([null, 28, 28]);
  assert.deepEqual(grid.shape, [2, 28, 28]);
  assert.equal((grid.v as number[][][])[0][5][3], 1);
  // Flat: row by row, so the bright pixel at (5, 3) is element 5*28+3.
  const flat = fit([null, 784]);
  assert.deepEqual(flat.shape, [2, 784]);
  assert.equal((flat.v as number[][])[0].indexOf(1), 5 * 28 + 3);
  assert.deepEqual(fit([null, null]).shape, [2, 784]);
  // Larger, and colour (a pretrained base): bilinear resize, grey repeated to three equal channels.
  assert.deepEqual(fit([null, 56, 56, 1]).shape, [2, 56, 56, 1]);
  assert.deepEqual(fit([null, 40, 32]).shape, [2, 40, 32]);
  const rgb = fit([null, 32, 48, 3]);
  assert.deepEqual(rgb.shape, [2, 32, 48, 3]);
  const px = (rgb.v as number[][][][])[1][10][20];
  assert.ok(Math.abs(px[0] - 128 / 255) < 1e-6 && px[0] === px[1] && px[1] === px[2], 'flat grey image stays flat grey in RGB');
  // Anything else: one line naming the shape.
  for (const shape of [[null, 28, 28, 2], [null, 1, 28, 28], [null, 100], [null], [null, 28, 28, 1, 1], [null, 0, 28, 1]]) {
    assert.throws(() => toModelInput(shape, x), (e: Error) => e instanceof UserError && !e.message.includes('\n') &&
      e.message.startsWith(`the model's input shape [${shape.map((d) => d ?? 'null').join(',')}] is not one that 28x28 grey images can be fed to (supported: `));
  }
  assert.equal(tf.memory().numTensors, before, 'no tensors left behind, errors included');
  x.dispose();
});

test('modelInputShape checks a model before any image is fed to it', () => {
  const model = (inputShape: number[]) => tf.sequential({ layers: [tf.layers.flatten({ inputShape }), tf.layers.dense({ units: 10 })] });
  const tutorial = model([28, 28]);
  assert.deepEqual(modelInputShape(tutorial), [null, 28, 28]);
  const odd = model([28, 28, 4]);
  assert.throws(() => modelInputShape(odd), /^UserError: the model's input shape \[null,28,28,4\] is not one/);
  const a = tf.input({ shape: [784] });
  const b = tf.input({ shape: [784] });
  const twoInputs = tf.model({ inputs: [a, b], outputs: tf.layers.add().apply([a, b]) as tf.SymbolicTensor });
  assert.throws(() => modelInputShape(twoInputs), /the model has 2 inputs; only single-input image classifiers can be fed images/);
  for (const m of [tutorial, odd, twoInputs]) m.dispose();
});

test('one-hot labels and batch slices', () => {
  const labels = Uint8Array.of(3, 0, 9);
  const y = oneHot(labels, [2, 0], 10);
  assert.deepEqual(y.arraySync(), [[0, 0, 0, 0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]]);
  y.dispose();
  assert.deepEqual([...batchSlices(Int32Array.of(1, 2, 3, 4, 5), 2)].map((s) => [...s]), [[1, 2], [3, 4], [5]]);
});

test('normalizationFor reads a saved model\'s input scaling', () => {
  assert.deepEqual(normalizationFor({}), { kind: 'unit', mean: 0, std: 1 });
  assert.equal(normalizationFor({ inputScale: 'raw' }).std, 1 / 255);
  assert.deepEqual(normalizationFor({ normalization: { kind: 'standard', mean: 0.3, std: 0.35 } }), { kind: 'standard', mean: 0.3, std: 0.35 });
  assert.ok(Math.abs(normalizationFor({ inputScale: 'standard' }, images()).mean - pixelStats(images()).mean) < 1e-12);
});
