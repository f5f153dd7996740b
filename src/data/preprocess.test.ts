import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { fillBatch, forPretrained, imagesToTensor, makeNormalization, normalizationFor, oneHot, pixelStats, batchSlices } from './preprocess.ts';
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

test('tensors are NHWC; pretrained inputs are resized and grey→RGB', () => {
  const x = imagesToTensor(images(), { kind: 'unit', mean: 0, std: 1 });
  assert.deepEqual(x.shape, [2, 28, 28, 1]);
  const y = forPretrained(x, 32);
  assert.deepEqual(y.shape, [2, 32, 32, 3]);
  const v = y.arraySync() as number[][][][];
  assert.ok(Math.abs(v[1][10][10][0] - 128 / 255) < 1e-6 && v[1][10][10][0] === v[1][10][10][2], 'flat image stays flat, channels equal');
  tf.dispose([x, y]);
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
