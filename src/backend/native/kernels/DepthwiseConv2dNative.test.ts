/**
 * DepthwiseConv2dNative, FusedDepthwiseConv2D and both depthwise backprops on the native backend
 * against cpu: channel multipliers 1–3, strides, padding, dilation, batch 1 and odd.
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'node:test';
import { seededTensor } from '../../testing.ts';
import { compareWithCpu, nativeReady } from '../test_support.ts';

interface Case { x: [number, number, number, number]; f: [number, number, number, number]; s: number; pad: 'same' | 'valid' | number; d?: number }

const cases: Case[] = [
  { x: [1, 7, 9, 3], f: [3, 3, 3, 1], s: 1, pad: 'same' },
  { x: [3, 8, 8, 4], f: [3, 3, 4, 2], s: 2, pad: 'same' },
  { x: [2, 9, 7, 5], f: [5, 3, 5, 3], s: 1, pad: 'valid' },
  { x: [2, 10, 10, 16], f: [3, 3, 16, 1], s: 2, pad: 'valid' },
  { x: [1, 6, 6, 2], f: [3, 3, 2, 1], s: 1, pad: 1 },
];
const dilated: Case[] = [{ x: [2, 9, 9, 3], f: [3, 3, 3, 2], s: 1, pad: 'same', d: 2 }];
const name = (c: Case) => `x ${c.x} f ${c.f} s ${c.s} pad ${c.pad}${c.d ? ` d ${c.d}` : ''}`;
const x = (c: Case) => seededTensor(c.x, c.x[1] * 7 + c.f[3]) as tf.Tensor4D;
const f = (c: Case) => seededTensor(c.f, c.f[0] * 11 + c.f[2], 0.5) as tf.Tensor4D;

test('DepthwiseConv2dNative forward matches cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  for (const c of [...cases, ...dilated]) {
    await compareWithCpu(name(c), () => tf.depthwiseConv2d(x(c), f(c), c.s, c.pad, 'NHWC', c.d ?? 1), { kernels: ['DepthwiseConv2dNative'] });
  }
});

test('FusedDepthwiseConv2D (bias + activations) matches cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  for (const c of [cases[1], cases[2]]) {
    for (const activation of ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const) {
      const channels = c.f[2] * c.f[3];
      await compareWithCpu(`${name(c)} ${activation}`, () => tf.fused.depthwiseConv2d({
        x: x(c), filter: f(c), strides: c.s, pad: c.pad as 'same', bias: seededTensor([channels], 3), activation,
        leakyreluAlpha: 0.3, preluActivationWeights: activation === 'prelu' ? seededTensor([channels], 4, 0.2) : undefined,
      }), { kernels: ['FusedDepthwiseConv2D'] });
    }
  }
});

test('depthwise gradients (DepthwiseConv2dNativeBackpropInput/Filter) match cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  for (const c of cases) {
    await compareWithCpu(name(c), () => {
      const r = seededTensor(tf.depthwiseConv2d(x(c), f(c), c.s, c.pad).shape, 8);
      const loss = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad), r));
      return tf.grads(loss)([x(c), f(c)]);
    }, { kernels: ['DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter'], atol: 2e-5 });
  }
});
