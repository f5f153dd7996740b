/**
 * MaxPool, AvgPool, MaxPoolGrad and AvgPoolGrad on the native backend against cpu: window 1–3,
 * strides 1–3, same/valid/explicit padding, 1–64 channels, batch 1 and odd sizes.
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'node:test';
import { seededTensor } from '../../testing.ts';
import { compareWithCpu, nativeReady } from '../test_support.ts';

interface Case { x: [number, number, number, number]; k: number | [number, number]; s: number | [number, number]; pad: 'same' | 'valid' | number }

const cases: Case[] = [
  { x: [3, 28, 28, 6], k: 2, s: 2, pad: 'valid' }, // LeNet-5
  { x: [1, 7, 9, 3], k: 3, s: 2, pad: 'same' },
  { x: [2, 9, 7, 5], k: 3, s: 1, pad: 'same' }, // overlapping windows
  { x: [2, 8, 9, 64], k: 2, s: 2, pad: 'same' },
  { x: [1, 5, 5, 1], k: [3, 2], s: [1, 3], pad: 'valid' },
  { x: [2, 6, 6, 4], k: 3, s: 2, pad: 1 },
  { x: [1, 4, 4, 2], k: 1, s: 1, pad: 'valid' },
];
const name = (c: Case) => `x ${c.x} k ${c.k} s ${c.s} pad ${c.pad}`;
const x = (c: Case) => seededTensor(c.x, c.x[1] * 13 + c.x[3]) as tf.Tensor4D;

test('MaxPool and AvgPool forward match cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  for (const c of cases) {
    await compareWithCpu(`max ${name(c)}`, () => tf.maxPool(x(c), c.k, c.s, c.pad), { kernels: ['MaxPool'] });
    await compareWithCpu(`avg ${name(c)}`, () => tf.avgPool(x(c), c.k, c.s, c.pad), { kernels: ['AvgPool'] });
  }
});

test('MaxPoolGrad and AvgPoolGrad (through tf.grad) match cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  for (const c of cases) {
    for (const [kind, op] of [['MaxPoolGrad', tf.maxPool], ['AvgPoolGrad', tf.avgPool]] as const) {
      await compareWithCpu(`${kind} ${name(c)}`, () => {
        const r = seededTensor(op(x(c), c.k, c.s, c.pad).shape, 17);
        return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(op(a as tf.Tensor4D, c.k, c.s, c.pad), r)))(x(c));
      }, { kernels: [kind] });
    }
  }
});

test('MaxPoolGrad routes ties to the first maximum, as tfjs does (ReLU zeros)', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  await compareWithCpu('ties', () => {
    const xs = tf.relu(seededTensor([2, 6, 6, 3], 5)) as tf.Tensor4D; // many all-zero windows
    return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), 3)))(xs);
  }, { kernels: ['MaxPoolGrad'] });
});
