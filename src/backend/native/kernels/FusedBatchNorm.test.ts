/** FusedBatchNorm on the native backend against cpu: ranks 2 and 4, with and without scale/offset, and its gradient. */
import * as tf from '@tensorflow/tfjs';
import { test } from 'node:test';
import { seededTensor } from '../../testing.ts';
import { compareWithCpu, nativeReady } from '../test_support.ts';

test('FusedBatchNorm matches cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  for (const shape of [[5, 8], [3, 7, 9, 6], [1, 4, 4, 1]]) {
    const c = shape[shape.length - 1];
    for (const [withScale, withOffset] of [[true, true], [false, true], [true, false], [false, false]]) {
      await compareWithCpu(`${shape} scale ${withScale} offset ${withOffset}`, () => tf.batchNorm(
        seededTensor(shape, 1), seededTensor([c], 2), tf.abs(seededTensor([c], 3)),
        withOffset ? seededTensor([c], 4) : undefined, withScale ? seededTensor([c], 5) : undefined, 1e-3,
      ), { kernels: ['FusedBatchNorm'] });
    }
  }
});

test('batch norm with batch moments (as in training) and its gradient match cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  await compareWithCpu('moments + batchNorm grads', () => {
    const loss = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return tf.sum(tf.square(tf.batchNorm(x, mean, variance, b, g, 1e-3)));
    };
    return tf.grads(loss)([seededTensor([2, 5, 5, 8], 6), seededTensor([8], 7), seededTensor([8], 8)]);
  }, { kernels: ['FusedBatchNorm'], atol: 1e-4 });
});
