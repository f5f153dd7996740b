import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { assertClose, liveCounts, maxAbs, numericalGradient, runKernelOn, runOn, seededTensor } from '../testing.ts';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput.ts';
import { registerWasmGradientKernels } from './register.ts';
import { convCases, convShapes, describeConv } from './conv_cases.ts';

let native: tf.KernelConfig | undefined;

before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('wasm');
  native = tf.getKernel('Conv2DBackpropInput', 'wasm');
  registerWasmGradientKernels();
});

/** Run tfjs-backend-wasm's own Conv2DBackpropInput (no longer registered) on fresh inputs. */
function runNative(makeInputs: () => Record<string, tf.Tensor>, attrs: object): Float32Array {
  return tf.tidy(() => {
    const inputs = makeInputs();
    const backend = tf.backend();
    const out = native!.kernelFunc({ inputs, backend, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
    const values = backend.readSync(out.dataId) as Float32Array;
    backend.disposeData(out.dataId);
    return values;
  });
}

test('registerWasmGradientKernels installs this Conv2DBackpropInput over the native one (idempotently)', () => {
  assert.ok(native && native !== conv2DBackpropInputConfig, 'tfjs-backend-wasm ships its own');
  registerWasmGradientKernels();
  assert.equal(tf.getKernel('Conv2DBackpropInput', 'wasm'), conv2DBackpropInputConfig);
});

test('Conv2DBackpropInput (replacement) on wasm matches cpu and the native wasm kernel, without leaking', async () => {
  for (const [i, c] of convCases.entries()) {
    const sh = convShapes(c);
    const attrs = { strides: c.s, pad: c.pad, dataFormat: c.nchw ? 'NCHW' : 'NHWC', inputShape: sh.x };
    const inputs = () => ({ dy: seededTensor(sh.dy, 700 + i), filter: seededTensor(sh.filter, 800 + i) });
    const before = liveCounts('wasm');
    const [got] = await runKernelOn('wasm', 'Conv2DBackpropInput', inputs, attrs);
    assert.deepEqual(liveCounts('wasm'), before, `leak: ${describeConv(c)}`);
    const [want] = await runKernelOn('cpu', 'Conv2DBackpropInput', inputs, attrs);
    assert.deepEqual(got.shape, want.shape, describeConv(c));
    assertClose(got.values, want.values, 1e-5 * Math.max(1, maxAbs(want.values)), 1e-4, describeConv(c));
    if (!c.nchw) {
      // The result it replaces (the native kernel's NCHW path is not compared: wasm's Conv2D
      // family is NHWC-only, and tfjs-layers always hands kernels NHWC).
      assertClose(got.values, runNative(inputs, attrs), 1e-5 * Math.max(1, maxAbs(want.values)), 1e-4, `${describeConv(c)} vs native`);
    }
  }
});

test('conv2d input gradient through tf.grad (replacement): wasm = cpu = numerical', async () => {
  for (const [s, pad] of [[1, 'same'], [2, 'valid'], [2, 'same']] as const) {
    const xShape = [1, 7, 7, 3];
    const f = () => seededTensor([3, 3, 3, 4], 81);
    const outShape = convShapes({ b: 1, h: 7, w: 7, ci: 3, co: 4, k: 3, s, pad }).dy;
    const r = () => seededTensor(outShape, 82);
    const loss = (xs: tf.Tensor, fs: tf.Tensor, rs: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(xs as tf.Tensor4D, fs as tf.Tensor4D, s, pad), rs));
    const gradOf = () => {
      const [fs, rs] = [f(), r()];
      return tf.grad((x: tf.Tensor) => loss(x, fs, rs))(seededTensor(xShape, 83));
    };
    const [wasm] = await runOn('wasm', gradOf);
    const [cpu] = await runOn('cpu', gradOf);
    assertClose(wasm.values, cpu.values, 1e-5, 1e-4, `stride ${s} ${pad}: wasm vs cpu`);
    const numeric = tf.tidy(() => {
      const [fs, rs] = [f(), r()];
      return numericalGradient((x) => loss(x, fs, rs) as tf.Scalar, seededTensor(xShape, 83));
    });
    assertClose(wasm.values, numeric, 5e-3, 5e-3, `stride ${s} ${pad}: wasm vs numerical`);
  }
});
