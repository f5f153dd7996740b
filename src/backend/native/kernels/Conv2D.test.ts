/**
 * Conv2D, FusedConv2D, Conv2DBackpropInput and Conv2DBackpropFilter on the native backend against
 * the cpu backend: odd sizes, batch 1 and 3, strides, same/valid/explicit padding, dilation,
 * 1–40 channels (≥ 32 takes the blocked-layout path), every fused activation. The weights' gradient
 * of outputs up to 8x8 pixels is im2col + one matrix product (conv2d_backprop_filter.cc); the
 * 10x10 and 9x9 outputs below (the second case, the first dilated one) take oneDNN's kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { test } from 'node:test';
import { seededTensor } from '../../testing.ts';
import { compareWithCpu, nativeReady } from '../test_support.ts';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
interface Case { x: [number, number, number, number]; f: [number, number, number, number]; s: number | [number, number]; pad: Pad; d?: number }

const cases: Case[] = [
  { x: [1, 7, 9, 1], f: [5, 5, 1, 6], s: 1, pad: 'same' }, // LeNet-5's first layer, batch 1
  { x: [3, 14, 14, 6], f: [5, 5, 6, 16], s: 1, pad: 'valid' }, // its second, odd batch
  { x: [3, 9, 7, 3], f: [3, 3, 3, 5], s: 2, pad: 'same' },
  { x: [2, 8, 8, 4], f: [3, 2, 4, 3], s: [2, 1], pad: 'valid' }, // non-square filter and stride
  { x: [1, 6, 5, 2], f: [1, 1, 2, 7], s: 1, pad: 'valid' },
  { x: [2, 7, 7, 3], f: [3, 3, 3, 4], s: 1, pad: 1 },
  { x: [2, 7, 8, 3], f: [3, 3, 3, 4], s: 2, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { x: [3, 6, 6, 32], f: [3, 3, 32, 40], s: 1, pad: 'same' }, // blocked layout
  { x: [1, 9, 9, 33], f: [3, 3, 33, 35], s: 2, pad: 'valid' }, // blocked, channels not a multiple of 8
  { x: [16, 2, 2, 24], f: [3, 3, 24, 20], s: 1, pad: 'same' }, // tiny images, ≥ 16 of them: one matrix product
  { x: [17, 2, 3, 5], f: [2, 3, 5, 6], s: 1, pad: 'valid' }, // the same path, non-square, odd batch
];
const dilated: Case[] = [
  { x: [2, 9, 9, 3], f: [3, 3, 3, 4], s: 1, pad: 'same', d: 2 },
  { x: [1, 10, 8, 2], f: [2, 3, 2, 3], s: 1, pad: 'valid', d: 3 },
];
const name = (c: Case) => `x ${c.x} f ${c.f} s ${c.s} pad ${JSON.stringify(c.pad)}${c.d ? ` d ${c.d}` : ''}`;
const seed = (c: Case) => c.x.reduce((a, b) => a * 31 + b, 7);
const x = (c: Case) => seededTensor(c.x, seed(c)) as tf.Tensor4D;
const f = (c: Case) => seededTensor(c.f, seed(c) + 1, 0.5) as tf.Tensor4D;

test('Conv2D forward matches cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  for (const c of [...cases, ...dilated]) {
    await compareWithCpu(name(c), () => tf.conv2d(x(c), f(c), c.s, c.pad, 'NHWC', c.d ?? 1), { kernels: ['Conv2D'] });
  }
});

test('FusedConv2D (bias + each activation) matches cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  const acts = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const;
  for (const [i, c] of [cases[1], cases[2], cases[7], cases[9], dilated[0]].entries()) {
    for (const activation of acts) {
      const channels = c.f[3];
      await compareWithCpu(`${name(c)} ${activation}`, () => tf.fused.conv2d({
        x: x(c), filter: f(c), strides: c.s, pad: c.pad as 'same', dilations: c.d ?? 1,
        bias: seededTensor([channels], 50 + i), activation, leakyreluAlpha: 0.15,
        preluActivationWeights: activation === 'prelu' ? seededTensor([channels], 60 + i, 0.3) : undefined,
      }), { kernels: ['FusedConv2D'] });
    }
  }
});

test('Conv2D gradients (Conv2DBackpropInput, Conv2DBackpropFilter) match cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  for (const c of [...cases, ...dilated]) {
    // loss = Σ conv(x, f) · r, so dx and df are exactly the two backprop kernels applied to r.
    await compareWithCpu(name(c), () => {
      const y = tf.conv2d(x(c), f(c), c.s, c.pad);
      const r = seededTensor(y.shape, 99);
      return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad), r)))([x(c), f(c)]);
    }, { kernels: ['Conv2DBackpropInput', 'Conv2DBackpropFilter'], atol: 2e-5 });
  }
});

test('tf.layers-style fused conv gradients (bias, relu) match cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  for (const c of [cases[0], cases[1], cases[7]]) {
    await compareWithCpu(name(c), () => {
      const bias = seededTensor([c.f[3]], 5);
      const loss = (a: tf.Tensor, b: tf.Tensor, k: tf.Tensor) => tf.sum(tf.square(tf.fused.conv2d({
        x: a as tf.Tensor4D, filter: b as tf.Tensor4D, bias: k, strides: c.s, pad: c.pad as 'same', activation: 'relu',
      })));
      return tf.grads(loss)([x(c), f(c), bias]);
    }, { kernels: ['Conv2DBackpropInput', 'Conv2DBackpropFilter'], atol: 2e-5 });
  }
});

test('conv2dTranspose (Conv2DBackpropInput as an op) matches cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  await compareWithCpu('conv2dTranspose', () =>
    tf.conv2dTranspose(seededTensor([2, 4, 5, 6], 3) as tf.Tensor4D, seededTensor([3, 3, 4, 6], 4) as tf.Tensor4D, [2, 8, 10, 4], 2, 'same'),
  { kernels: ['Conv2DBackpropInput'] });
});

test('weights prepared for one tensor are reused only for that tensor', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  // The addon keeps reordered (and, for tiny images, expanded) weights per source tensor, a few
  // per primitive: alternate more filters of one shape than it keeps, and update a variable.
  for (const c of [cases[1], cases[7], cases[9]]) {
    await compareWithCpu(`reuse ${name(c)}`, () => {
      const filters = [f(c), tf.mul(f(c), -1), tf.add(f(c), 0.5), tf.mul(f(c), 2)] as tf.Tensor4D[];
      const v = tf.variable(f(c));
      const outs: tf.Tensor[] = [];
      for (const k of [0, 1, 2, 3, 0, 2, 1, 3, 0]) outs.push(tf.conv2d(x(c), filters[k], c.s, c.pad));
      outs.push(tf.conv2d(x(c), v, c.s, c.pad));
      v.assign(tf.add(v, 1));
      outs.push(tf.conv2d(x(c), v, c.s, c.pad));
      v.dispose();
      return outs;
    }, { kernels: ['Conv2D'] });
  }
});
