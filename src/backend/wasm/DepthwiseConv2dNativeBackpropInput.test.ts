import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { assertClose, liveCounts, maxAbs, numericalGradient, runKernelOn, runOn, seededTensor } from '../testing.ts';
import { registerWasmGradientKernels } from './register.ts';
import { depthwiseCases, describeDepthwise, dilatedFilter, depthwiseShapes } from './depthwise_cases.ts';

before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('wasm');
  registerWasmGradientKernels();
});

test('DepthwiseConv2dNativeBackpropInput on wasm matches cpu, without leaking', async () => {
  for (const [i, c] of depthwiseCases.entries()) {
    const sh = depthwiseShapes(c);
    const attrs = { strides: c.s, pad: c.pad, dilations: c.d, inputShape: sh.x };
    const inputs = () => ({ dy: seededTensor(sh.dy, 500 + i), filter: seededTensor(sh.filter, 600 + i) });
    const before = liveCounts('wasm');
    const [got] = await runKernelOn('wasm', 'DepthwiseConv2dNativeBackpropInput', inputs, attrs);
    assert.deepEqual(liveCounts('wasm'), before, `leak: ${describeDepthwise(c)}`);
    // tfjs-backend-cpu's kernel ignores `dilations`; the zero-upsampled filter at dilation 1 is
    // the same convolution.
    const [want] = await runOn('cpu', () => {
      const { dy, filter } = inputs();
      return tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput',
        { dy, filter: dilatedFilter(filter, c.d) }, { ...attrs, dilations: 1 }) as tf.Tensor;
    });
    assert.deepEqual(got.shape, want.shape, describeDepthwise(c));
    assertClose(got.values, want.values, 1e-5 * Math.max(1, maxAbs(want.values)), 1e-4, describeDepthwise(c));
  }
});

test('depthwiseConv2d input gradient through tf.grad: wasm = cpu = numerical', async () => {
  for (const [s, pad, m] of [[1, 'same', 1], [2, 'valid', 1], [2, 'same', 2]] as const) {
    const xShape = [1, 7, 7, 3];
    const f = () => seededTensor([3, 3, 3, m], 51);
    const r = () => seededTensor(depthwiseShapes({ b: 1, h: 7, w: 7, c: 3, m, k: 3, s, d: 1, pad }).dy, 52);
    const loss = (xs: tf.Tensor, fs: tf.Tensor, rs: tf.Tensor) =>
      tf.sum(tf.mul(tf.depthwiseConv2d(xs as tf.Tensor4D, fs as tf.Tensor4D, s, pad), rs));
    const gradOf = () => {
      const [fs, rs] = [f(), r()];
      return tf.grad((x: tf.Tensor) => loss(x, fs, rs))(seededTensor(xShape, 53));
    };
    const [wasm] = await runOn('wasm', gradOf);
    const [cpu] = await runOn('cpu', gradOf);
    assertClose(wasm.values, cpu.values, 1e-5, 1e-4, `stride ${s} ${pad} M${m}: wasm vs cpu`);
    const numeric = tf.tidy(() => {
      const [fs, rs] = [f(), r()];
      return numericalGradient((x) => loss(x, fs, rs) as tf.Scalar, seededTensor(xShape, 53));
    });
    assertClose(wasm.values, numeric, 5e-3, 5e-3, `stride ${s} ${pad} M${m}: wasm vs numerical`);
  }
});

test('separableConv2d with bias and swish: all gradients on wasm match cpu', async () => {
  // The MobileNet/EfficientNet path: depthwise (fused, with bias) → pointwise → swish.
  const grads = () => {
    const x = seededTensor([2, 8, 8, 6], 61);
    const dw = seededTensor([3, 3, 6, 1], 62, 0.5);
    const bias = seededTensor([6], 63);
    const pw = seededTensor([1, 1, 6, 16], 64, 0.5);
    return tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => {
      const h = tf.fused.depthwiseConv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, bias: c, strides: 2, pad: 'same' });
      const y = tf.conv2d(h, d as tf.Tensor4D, 1, 'valid');
      return tf.sum(tf.mul(y, tf.sigmoid(y)));
    })([x, dw, bias, pw]);
  };
  const wasm = await runOn('wasm', grads);
  const cpu = await runOn('cpu', grads);
  for (const [i, name] of ['dx', 'ddepthwise', 'dbias', 'dpointwise'].entries()) {
    assertClose(wasm[i].values, cpu[i].values, 1e-4 * Math.max(1, maxAbs(cpu[i].values)), 1e-4, name);
  }
});
