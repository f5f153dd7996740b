/** Softmax on the native backend against cpu, forward and gradient. */
import * as tf from '@tensorflow/tfjs';
import { test } from 'node:test';
import { seededTensor } from '../../testing.ts';
import { compareWithCpu, nativeReady } from '../test_support.ts';

test('Softmax matches cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  for (const shape of [[64, 10], [1, 3], [3, 4, 7], [2, 1000]]) {
    await compareWithCpu(`${shape}`, () => tf.softmax(seededTensor(shape, 1, 5)), { kernels: ['Softmax'] });
    await compareWithCpu(`${shape} grad`, () =>
      tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.softmax(x), seededTensor(shape, 2))))(seededTensor(shape, 1, 5)),
    { kernels: ['Softmax'] });
  }
});
