/**
 * BatchMatMul and _FusedMatMul on the native backend against cpu: every transpose combination,
 * ranks 2–4, batch broadcast, bias, every fused activation, and gradients.
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'node:test';
import { seededTensor } from '../../testing.ts';
import { compareWithCpu, nativeReady } from '../test_support.ts';

test('BatchMatMul (transposes, ranks, batch broadcast) matches cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  const shapes: [number[], number[], boolean, boolean][] = [
    [[7, 5], [5, 3], false, false],
    [[5, 7], [5, 3], true, false],
    [[7, 5], [3, 5], false, true],
    [[5, 7], [3, 5], true, true],
    [[1, 1], [1, 9], false, false],
    [[4, 6, 5], [4, 5, 2], false, false],
    [[3, 6, 5], [1, 5, 2], false, false], // B broadcast over the batch
    [[1, 5, 6], [3, 5, 2], true, false], // A broadcast
    [[2, 3, 4, 5], [2, 3, 5, 6], false, false],
    [[64, 400], [400, 120], false, false], // LeNet-5's first dense layer
  ];
  for (const [i, [a, b, ta, tb]] of shapes.entries()) {
    await compareWithCpu(`${a} x ${b} tA ${ta} tB ${tb}`, () => tf.matMul(seededTensor(a, i), seededTensor(b, i + 50), ta, tb), { kernels: ['BatchMatMul'] });
  }
});

test('_FusedMatMul (bias + each activation) matches cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  for (const activation of ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const) {
    for (const [ta, tb] of [[false, false], [true, true]]) {
      await compareWithCpu(`${activation} tA ${ta} tB ${tb}`, () => tf.fused.matMul({
        a: seededTensor(ta ? [9, 6] : [6, 9], 1) as tf.Tensor2D, b: seededTensor(tb ? [5, 9] : [9, 5], 2) as tf.Tensor2D,
        transposeA: ta, transposeB: tb, bias: seededTensor([5], 3), activation, leakyreluAlpha: 0.25,
        preluActivationWeights: activation === 'prelu' ? seededTensor([5], 4) : undefined,
      }), { kernels: ['_FusedMatMul'] });
    }
  }
});

test('matMul and dense-layer gradients match cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  await compareWithCpu('matMul grads', () => {
    const loss = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.matMul(a, b, false, true)));
    return tf.grads(loss)([seededTensor([3, 7, 4], 5), seededTensor([3, 6, 4], 6)]);
  }, { kernels: ['BatchMatMul'] });
  await compareWithCpu('fused dense grads (linear: the fused gradient path)', () => {
    const loss = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.square(tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias: c })));
    return tf.grads(loss)([seededTensor([8, 12], 7), seededTensor([12, 5], 8), seededTensor([5], 9)]);
  }, { kernels: ['_FusedMatMul', 'BatchMatMul'] });
});
