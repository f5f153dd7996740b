/**
 * The conversion shared by `fmnist predict` and the browser, with the browser's own resampling and
 * decoding (resizeGrey, rgbaToGrey): a dataset image reaches the model byte for byte, and a
 * product photographed on white comes out light on black, trimmed and centred.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadFashionMnist } from './dataset.ts';
import { greyToFashion, resizeGrey, rgbaToGrey } from './fashion_image.ts';

const data = loadFashionMnist({ splits: ['test'] });
const image = (i: number) => Uint8Array.from(data.test.images.subarray(i * 784, (i + 1) * 784));

/** Grey pixels as a canvas would hold them: RGBA, opaque. */
const rgba = (grey: Uint8Array) => Uint8ClampedArray.from({ length: grey.length * 4 }, (_, k) => (k % 4 === 3 ? 255 : grey[k >> 2]));

test('a 28x28 dataset image drawn on a canvas reaches the model exactly as in the IDX file', async () => {
  for (let i = 0; i < 50; i++) {
    const out = await greyToFashion(rgbaToGrey(rgba(image(i)), 28, 28), resizeGrey);
    assert.deepEqual(out, image(i));
  }
});

test('transparency is white, as the CLI flattens it', () => {
  assert.deepEqual(rgbaToGrey(Uint8ClampedArray.of(0, 0, 0, 0, 0, 0, 0, 255, 200, 100, 50, 255), 3, 1).data, Uint8Array.of(255, 0, Math.round(0.2126 * 200 + 0.7152 * 100 + 0.0722 * 50)));
});

test('resizeGrey: nearest recovers the pixels of a block-enlarged image; smooth keeps a flat image flat', () => {
  const src = image(3);
  const big = new Uint8Array(280 * 280);
  for (let y = 0; y < 280; y++) for (let x = 0; x < 280; x++) big[y * 280 + x] = src[Math.floor(y / 10) * 28 + Math.floor(x / 10)];
  assert.deepEqual(resizeGrey({ data: big, width: 280, height: 280 }, 28, 28, 'nearest').data, src);
  assert.ok(resizeGrey({ data: new Uint8Array(12).fill(77), width: 4, height: 3 }, 28, 21, 'smooth').data.every((v) => v === 77));
});

test('a product photographed on white (dark on a white page, off-centre) comes out light on black, trimmed to 28 and centred', async () => {
  // Test image 0 negated and enlarged 10x, placed at (40, 100) on a 400x500 white page.
  const src = image(0);
  const W = 400, H = 500;
  const page = new Uint8Array(W * H).fill(255);
  for (let y = 0; y < 280; y++) for (let x = 0; x < 280; x++) page[(100 + y) * W + 40 + x] = 255 - src[Math.floor(y / 10) * 28 + Math.floor(x / 10)];
  const out = await greyToFashion({ data: page, width: W, height: H }, resizeGrey);
  const corners = [out[0], out[27], out[27 * 28], out[783]];
  assert.deepEqual(corners, [0, 0, 0, 0], 'background black');
  const mean = (a: Uint8Array) => a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(mean(out) - mean(src)) < 20, `brightness close to the original: ${mean(out)} vs ${mean(src)}`);
  const diff = out.reduce((s, v, k) => s + Math.abs(v - src[k]), 0) / 784;
  assert.ok(diff < 40, `close to the dataset image it came from (mean |difference| ${diff.toFixed(1)} of 255)`);
});
