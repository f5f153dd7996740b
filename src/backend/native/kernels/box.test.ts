/** Slice, PadV2 and Tile (contiguous-run copies, box.ts) against cpu, with their gradients. */
import * as tf from '@tensorflow/tfjs';
import { test } from 'node:test';
import { seededTensor } from '../../testing.ts';
import { compareWithCpu, nativeReady } from '../test_support.ts';

test('Slice of non-contiguous boxes matches cpu; contiguous ones stay with cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  const cases: [number[], number[], number[]][] = [
    [[4, 9, 9, 12], [0, 0, 0, 0], [4, 8, 8, 12]], // the gradient of ZeroPadding2D((0,1),(0,1))
    [[4, 9, 9, 12], [0, 1, 1, 0], [4, 8, 8, 12]],
    [[5, 7, 3], [1, 2, 1], [3, 4, 2]], // short runs
    [[6, 50], [0, 10], [6, 40]],
    [[2, 3, 4, 5, 6], [1, 0, 2, 1, 0], [1, 3, 2, 3, 6]],
  ];
  for (const [shape, begin, size] of cases) {
    await compareWithCpu(`slice ${shape} at ${begin} size ${size}`, () => tf.slice(seededTensor(shape, 1), begin, size), { kernels: ['Slice'] });
  }
  await compareWithCpu('contiguous slice on cpu', () => tf.slice(seededTensor([6, 50], 2), [2, 0], [3, 50]), { kernels: [] });
});

test('PadV2 matches cpu, and the pad/slice gradient pair', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  await compareWithCpu('zero padding 2D', () => tf.pad(seededTensor([4, 8, 8, 12], 3), [[0, 0], [0, 1], [0, 1], [0, 0]]), { kernels: ['PadV2'] });
  await compareWithCpu('constant padding, every axis', () => tf.pad(seededTensor([3, 5, 2], 4), [[1, 2], [0, 3], [2, 1]], 1.5), { kernels: ['PadV2'] });
  await compareWithCpu('padding gradient', () => tf.grad((x: tf.Tensor) => tf.sum(tf.square(tf.pad(x, [[0, 0], [1, 1], [0, 1], [0, 0]]))))(seededTensor([2, 6, 6, 10], 5)), { kernels: ['PadV2', 'Slice'] });
});

test('Tile matches cpu (repeated input and general tiles), and its gradient', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  const cases: [number[], number[]][] = [
    [[1, 1, 1, 24], [8, 6, 6, 1]], // the batch-norm gradient's scale
    [[2, 3], [3, 4]],
    [[3, 1, 5], [2, 4, 1]],
    [[4], [5]],
  ];
  for (const [shape, reps] of cases) {
    await compareWithCpu(`tile ${shape} by ${reps}`, () => tf.tile(seededTensor(shape, 6), reps), { kernels: ['Tile'] });
  }
  await compareWithCpu('batch-norm gradient (tiles the scale)', () => tf.grad((x: tf.Tensor) => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return tf.sum(tf.square(tf.batchNorm(x, mean, variance, seededTensor([16], 9), seededTensor([16], 8), 1e-3)));
  })(seededTensor([4, 5, 5, 16], 7)), { kernels: ['Tile'], atol: 1e-4 });
});
