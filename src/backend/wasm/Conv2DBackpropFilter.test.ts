import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { assertClose, liveCounts, maxAbs, numericalGradient, runKernelOn, runOn, seededTensor } from '../testing.ts';
import { registerWasmGradientKernels } from './register.ts';
import { convCases as cases, describeConv as describe, convShapes as shapes } from './conv_cases.ts';

before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('wasm');
  registerWasmGradientKernels();
});

test('Conv2DBackpropFilter on wasm matches cpu, without leaking', async () => {
  for (const [i, c] of cases.entries()) {
    const sh = shapes(c);
    const attrs = { strides: c.s, pad: c.pad, dataFormat: c.nchw ? 'NCHW' : 'NHWC', filterShape: sh.filter };
    const inputs = () => ({ x: seededTensor(sh.x, 100 + i), dy: seededTensor(sh.dy, 200 + i) });
    const before = liveCounts('wasm');
    const [got] = await runKernelOn('wasm', 'Conv2DBackpropFilter', inputs, attrs);
    assert.deepEqual(liveCounts('wasm'), before, `leak: ${describe(c)}`);
    const [want] = await runKernelOn('cpu', 'Conv2DBackpropFilter', inputs, attrs);
    assert.deepEqual(got.shape, want.shape, describe(c));
    // Float32 sums of up to a few hundred products in a different order: scale-relative tolerance.
    assertClose(got.values, want.values, 1e-5 * Math.max(1, maxAbs(want.values)), 1e-4, describe(c));
  }
});

test('conv2d filter gradient through tf.grad: wasm = cpu = numerical', async () => {
  // loss(f) = Σ conv2d(x, f) · r is linear in f, so central differences are exact up to rounding.
  for (const [s, pad] of [[1, 'same'], [2, 'valid'], [2, 'same']] as const) {
    const x = () => seededTensor([2, 7, 7, 3], 11);
    const r = () => seededTensor(tf.conv2d(tf.zeros([2, 7, 7, 3]) as tf.Tensor4D, tf.zeros([3, 3, 3, 4]) as tf.Tensor4D, s, pad).shape, 12);
    const loss = (xs: tf.Tensor, f: tf.Tensor, rs: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xs as tf.Tensor4D, f as tf.Tensor4D, s, pad), rs));
    const gradOf = () => {
      const [xs, rs] = [x(), r()];
      return tf.grad((f: tf.Tensor) => loss(xs, f, rs))(seededTensor([3, 3, 3, 4], 13));
    };
    const [wasm] = await runOn('wasm', gradOf);
    const [cpu] = await runOn('cpu', gradOf);
    assertClose(wasm.values, cpu.values, 1e-4, 1e-4, `stride ${s} ${pad}: wasm vs cpu`);
    const numeric = tf.tidy(() => {
      const [xs, rs] = [x(), r()];
      return numericalGradient((f) => loss(xs, f, rs) as tf.Scalar, seededTensor([3, 3, 3, 4], 13));
    });
    assertClose(wasm.values, numeric, 5e-3, 5e-3, `stride ${s} ${pad}: wasm vs numerical`);
  }
});

test('conv2d layer gradients (x, filter, bias; fused path) on wasm match cpu', async () => {
  // tf.layers.conv2d runs tf.fused.conv2d with a bias: its custom gradient calls
  // conv2DBackpropInput and conv2DBackpropFilter (both ours on wasm).
  const gradsAll = () => {
    const x = seededTensor([3, 9, 9, 6], 21);
    const f = seededTensor([5, 5, 6, 16], 22, 0.2);
    const bias = seededTensor([16], 23);
    const lossFn = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.square(tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, bias: c, strides: 2, pad: 'same' })));
    return tf.grads(lossFn)([x, f, bias]);
  };
  const wasm = await runOn('wasm', gradsAll);
  const cpu = await runOn('cpu', gradsAll);
  for (const [i, name] of ['dx', 'dfilter', 'dbias'].entries()) {
    assertClose(wasm[i].values, cpu[i].values, 1e-4 * Math.max(1, maxAbs(cpu[i].values)), 1e-4, name);
  }
});
