/** ClipByValue, the comparisons, LogicalAnd and Select (typed-array loops, logic.ts) against cpu; the clip's gradient: ../gradients.test.ts. */
import * as tf from '@tensorflow/tfjs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededTensor } from '../../testing.ts';
import { compareWithCpu, nativeReady } from '../test_support.ts';

test('clip, comparisons, logicalAnd and where match cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  const x = () => seededTensor([6, 7, 8, 5], 1, 8);
  const y = () => seededTensor([6, 7, 8, 5], 2, 8);
  await compareWithCpu('clipByValue', () => tf.clipByValue(x(), 0, 6), { kernels: ['ClipByValue'] });
  // NaN stays NaN and infinities clip, as on cpu (compared apart: the tolerance scales with the largest value).
  const odd = tf.tidy(() => tf.clipByValue(tf.concat([tf.tensor1d([NaN, -Infinity, Infinity]), tf.zeros([600])]), 0, 6).slice(0, 3).arraySync());
  assert.deepEqual(odd, [NaN, 0, 6]);
  await compareWithCpu('x >= 0', () => tf.greaterEqual(x(), 0), { kernels: ['GreaterEqual'] });
  await compareWithCpu('x <= y', () => tf.lessEqual(x(), y()), { kernels: ['LessEqual'] });
  await compareWithCpu('and', () => tf.logicalAnd(tf.greaterEqual(x(), 0), tf.lessEqual(x(), y())), { kernels: ['LogicalAnd'] });
  await compareWithCpu('where', () => tf.where(tf.greaterEqual(x(), y()), x(), y()), { kernels: ['Select'] });
  await compareWithCpu('broadcast compare on cpu', () => tf.greaterEqual(seededTensor([4, 5], 3), seededTensor([5], 4)), { kernels: [] });
});
