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

test('DepthwiseConv2dNativeBackpropFilter on wasm matches cpu, without leaking', async () => {
  for (const [i, c] of depthwiseCases.entries()) {
    const sh = depthwiseShapes(c);
    const attrs = { strides: c.s, pad: c.pad, dilations: c.d, filterShape: sh.filter };
    const inputs = () => ({ x: seededTensor(sh.x, 300 + i), dy: seededTensor(sh.dy, 400 + i) });
    const before = liveCounts('wasm');
    const [got] = await runKernelOn('wasm', 'DepthwiseConv2dNativeBackpropFilter', inputs, attrs);
    assert.deepEqual(liveCounts('wasm'), before, `leak: ${describeDepthwise(c)}`);
    // tfjs-backend-cpu's kernel ignores `dilations` (tfjs-core only asks for dilation 1 in
    // gradients), so a dilated case is checked as the undilated gradient of the zero-upsampled
    // filter, sampled at every d-th tap.
    const [kh, kw, ch, m] = sh.filter;
    const [bigH, bigW] = [(kh - 1) * c.d + 1, (kw - 1) * c.d + 1];
    const [want] = await runOn('cpu', () => {
      const { x, dy } = inputs();
      const big = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy },
        { ...attrs, dilations: 1, filterShape: [bigH, bigW, ch, m] }) as tf.Tensor;
      return tf.stridedSlice(big, [0, 0, 0, 0], [bigH, bigW, ch, m], [c.d, c.d, 1, 1]);
    });
    assert.deepEqual(got.shape, want.shape, describeDepthwise(c));
    assertClose(got.values, want.values, 1e-5 * Math.max(1, maxAbs(want.values)), 1e-4, describeDepthwise(c));
  }
});

test('depthwiseConv2d filter gradient through tf.grad: wasm = cpu = numerical', async () => {
  for (const [s, pad, m] of [[1, 'same', 1], [2, 'valid', 1], [2, 'same', 2]] as const) {
    const fShape = [3, 3, 4, m];
    const x = () => seededTensor([2, 7, 7, 4], 31);
    const outShape = depthwiseShapes({ b: 2, h: 7, w: 7, c: 4, m, k: 3, s, d: 1, pad }).dy;
    const r = () => seededTensor(outShape, 32);
    const loss = (xs: tf.Tensor, f: tf.Tensor, rs: tf.Tensor) =>
      tf.sum(tf.mul(tf.depthwiseConv2d(xs as tf.Tensor4D, f as tf.Tensor4D, s, pad), rs));
    const gradOf = () => {
      const [xs, rs] = [x(), r()];
      return tf.grad((f: tf.Tensor) => loss(xs, f, rs))(seededTensor(fShape, 33));
    };
    const [wasm] = await runOn('wasm', gradOf);
    const [cpu] = await runOn('cpu', gradOf);
    assertClose(wasm.values, cpu.values, 1e-4, 1e-4, `stride ${s} ${pad} M${m}: wasm vs cpu`);
    const numeric = tf.tidy(() => {
      const [xs, rs] = [x(), r()];
      return numericalGradient((f) => loss(xs, f, rs) as tf.Scalar, seededTensor(fShape, 33));
    });
    assertClose(wasm.values, numeric, 5e-3, 5e-3, `stride ${s} ${pad} M${m}: wasm vs numerical`);
  }
});

test('the dilated case agrees with the zero-upsampled filter reference helper', () => {
  // Guard for the reference used above: a dilated depthwise conv equals the undilated conv with
  // the zero-upsampled filter (forward pass, wasm).
  tf.tidy(() => {
    const x = seededTensor([1, 9, 9, 3], 41) as tf.Tensor4D;
    const f = seededTensor([3, 3, 3, 2], 42) as tf.Tensor4D;
    const a = tf.depthwiseConv2d(x, f, 1, 'same', 'NHWC', 2);
    const b = tf.depthwiseConv2d(x, dilatedFilter(f, 2) as tf.Tensor4D, 1, 'same');
    assertClose(a.dataSync(), b.dataSync(), 1e-5, 1e-5, 'dilated forward');
  });
});
