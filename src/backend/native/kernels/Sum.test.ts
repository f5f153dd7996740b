/** Sum and Mean on the native backend against cpu: contiguous axis blocks natively, other axis sets on the cpu kernel. */
import * as tf from '@tensorflow/tfjs';
import { test } from 'node:test';
import { seededTensor } from '../../testing.ts';
import { compareWithCpu, nativeReady } from '../test_support.ts';

test('Sum over contiguous axes matches cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  const cases: [number[], number | number[], boolean][] = [
    [[64, 28, 28, 6], [0, 1, 2], false], // a conv bias gradient
    [[7, 5], 1, false],
    [[7, 5], 0, true],
    [[3, 4, 5, 6], [1, 2], false],
    [[3, 4, 5, 6], [1, 2], true],
    [[3, 4, 5, 6], -1, false],
    [[100000], 0, false],
    [[2, 3], [0, 1], false],
  ];
  for (const [shape, axis, keepDims] of cases) {
    await compareWithCpu(`${shape} axis ${axis} keepDims ${keepDims}`, () => tf.sum(seededTensor(shape, 1), axis, keepDims), { kernels: ['Sum'] });
  }
});

test('Sum over non-contiguous axes (cpu fallback) still matches', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  await compareWithCpu('axes 0,2', () => tf.sum(seededTensor([3, 4, 5], 1), [0, 2]), { kernels: [] });
  await compareWithCpu('int32', () => tf.sum(tf.tensor1d([1, 2, 3], 'int32')), { kernels: [] });
});

test('Mean over contiguous axes matches cpu, and its gradient', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  const cases: [number[], number | number[], boolean][] = [
    [[16, 12, 12, 40], [0, 1, 2], false], // batch-norm moments
    [[16, 12, 12, 40], [1, 2], true], // squeeze-and-excite pooling
    [[7, 5], -1, false],
  ];
  for (const [shape, axis, keepDims] of cases) {
    await compareWithCpu(`mean ${shape} axis ${axis} keepDims ${keepDims}`, () => tf.mean(seededTensor(shape, 2), axis, keepDims), { kernels: ['Mean'] });
  }
  await compareWithCpu('moments gradient', () => tf.grad((x: tf.Tensor) => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return tf.sum(tf.add(tf.square(mean), variance));
  })(seededTensor([8, 6, 6, 20], 3)), { kernels: ['Mean'], atol: 1e-4 });
  await compareWithCpu('non-contiguous axes on cpu', () => tf.mean(seededTensor([3, 4, 5], 1), [0, 2]), { kernels: [] });
});
