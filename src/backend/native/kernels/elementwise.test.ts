/**
 * The native elementwise kernels against cpu: binary ops under every broadcast the addon handles
 * (and one it leaves to cpu), unary ops, and the standalone activations, on tensors large enough
 * to run natively (small ones stay on the cpu kernels by design).
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'node:test';
import { seededTensor } from '../../testing.ts';
import { compareWithCpu, nativeReady } from '../test_support.ts';
import { RANGE_GRAD } from './RangeGrad.ts';

const binary: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
  ['Add', tf.add], ['Sub', tf.sub], ['Multiply', tf.mul], ['RealDiv', tf.div],
  ['Maximum', tf.maximum], ['Minimum', tf.minimum], ['SquaredDifference', tf.squaredDifference],
];

test('binary ops under each broadcast match cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  const pairs: [number[], number[]][] = [
    [[40, 30], [40, 30]], // same
    [[], [40, 30]], // scalar a
    [[40, 30], []], // scalar b
    [[8, 10, 12, 6], [6]], // bias over the last axis (row b)
    [[7], [100, 7]], // row a
    [[100, 1], [100, 9]], // column a (one value per row)
    [[50, 20], [50, 1]], // column b, as x - sum(x, -1, keepDims)
    [[4, 5, 30], [4, 1, 1]], // column b over two trailing axes
    [[1, 600], [1, 600]],
    [[4, 6, 5, 8], [4, 1, 1, 8]], // mid b: squeeze-and-excite's x * scale
    [[4, 1, 1, 8], [4, 6, 5, 8]], // mid a
    [[3, 5, 70], [3, 1, 70]], // mid b, one repeated axis
  ];
  for (const [kernel, op] of binary) {
    for (const [i, [sa, sb]] of pairs.entries()) {
      // Divisors away from 0 so RealDiv compares values, not overflow.
      const b = () => (kernel === 'RealDiv' ? tf.add(seededTensor(sb, 2 + i), 3) : seededTensor(sb, 2 + i));
      await compareWithCpu(`${kernel} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`, () => op(seededTensor(sa, 1 + i), b()), { kernels: [kernel] });
    }
  }
});

test('binary ops the addon does not broadcast fall back to cpu and still match', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  await compareWithCpu('outer broadcast', () => tf.add(seededTensor([40, 1], 1), seededTensor([1, 30], 2)), { kernels: [] });
  await compareWithCpu('int32', () => tf.mul(tf.range(0, 1000, 1, 'int32'), tf.scalar(3, 'int32')), { kernels: [] });
});

test('binary op gradients (broadcast reductions) match cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  await compareWithCpu('add/mul/div grads', () => {
    const loss = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.div(tf.mul(tf.add(a, b), a), tf.add(tf.abs(b), 1))));
    return tf.grads(loss)([seededTensor([16, 12, 6], 3), seededTensor([6], 4)]);
  }, { kernels: ['Add', 'Multiply'], atol: 1e-4 });
  await compareWithCpu('mid-broadcast mul grads', () => {
    const loss = (x: tf.Tensor, s: tf.Tensor) => tf.sum(tf.square(tf.mul(x, tf.sigmoid(s))));
    return tf.grads(loss)([seededTensor([4, 6, 5, 30], 7), seededTensor([4, 1, 1, 30], 8)]);
  }, { kernels: ['Multiply'], atol: 1e-4 });
});

test('unary ops match cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  const pos = () => tf.add(tf.abs(seededTensor([40, 30], 5)), 0.1);
  const any = () => seededTensor([40, 30], 6, 3);
  const ops: [string, () => tf.Tensor][] = [
    ['Step', () => tf.step(any(), 0.3)], ['Sqrt', () => tf.sqrt(pos())], ['Rsqrt', () => tf.rsqrt(pos())],
    ['Square', () => tf.square(any())], ['Neg', () => tf.neg(any())], ['Exp', () => tf.exp(any())],
    ['Log', () => tf.log(pos())], ['Abs', () => tf.abs(any())], ['Reciprocal', () => tf.reciprocal(pos())],
  ];
  for (const [kernel, fn] of ops) await compareWithCpu(kernel, fn, { kernels: [kernel] });
});

test('activations on large tensors match cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  const x = () => seededTensor([8, 16, 16, 12], 7, 8); // 24,576 elements: native
  const ops: [string, () => tf.Tensor][] = [
    ['Relu', () => tf.relu(x())], ['Relu6', () => tf.relu6(x())], ['Elu', () => tf.elu(x())],
    ['Sigmoid', () => tf.sigmoid(x())], ['LeakyRelu', () => tf.leakyRelu(x(), 0.1)],
  ];
  for (const [kernel, fn] of ops) await compareWithCpu(kernel, fn, { kernels: [kernel] });
  await compareWithCpu('relu grad', () => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.relu(a), 2)))(x()), { kernels: ['Relu', RANGE_GRAD] }); // ../gradients.ts
});
