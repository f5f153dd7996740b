import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { assertClose, liveCounts, maxAbs, runKernelOn, runOn, seededTensor } from '../testing.ts';
import { batchMatMulConfig } from './BatchMatMul.ts';
import { registerWasmGradientKernels } from './register.ts';

let native: tf.KernelConfig | undefined;

before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('wasm');
  native = tf.getKernel('BatchMatMul', 'wasm');
  registerWasmGradientKernels();
});

test('registerWasmGradientKernels installs this BatchMatMul over the native one', () => {
  assert.ok(native && native !== batchMatMulConfig);
  assert.equal(tf.getKernel('BatchMatMul', 'wasm'), batchMatMulConfig);
});

// [a shape, b shape, transposeA, transposeB]: single products in all four transpose modes (the
// re-routed ones), dense-gradient shapes, batched and rank-4 products (passed through unchanged).
const cases: [number[], number[], boolean, boolean][] = [
  [[5, 7], [7, 3], false, false],
  [[7, 5], [7, 3], true, false], // dW = xᵀ·dy
  [[5, 7], [3, 7], false, true], // dx = dy·Wᵀ
  [[7, 5], [3, 7], true, true],
  [[1, 16, 33], [1, 16, 12], true, false],
  [[9, 1], [9, 4], true, false],
  [[3, 4, 6], [3, 6, 5], false, false],
  [[3, 6, 4], [3, 5, 6], true, true],
  [[2, 3, 4, 6], [2, 3, 6, 2], false, false],
];

test('BatchMatMul (replacement) on wasm matches cpu and the native kernel, without leaking', async () => {
  for (const [i, [as, bs, ta, tb]] of cases.entries()) {
    const what = `a[${as}] b[${bs}] tA=${ta} tB=${tb}`;
    const attrs = { transposeA: ta, transposeB: tb };
    const inputs = () => ({ a: seededTensor(as, 1000 + i), b: seededTensor(bs, 1100 + i) });
    const before = liveCounts('wasm');
    const [got] = await runKernelOn('wasm', 'BatchMatMul', inputs, attrs);
    assert.deepEqual(liveCounts('wasm'), before, `leak: ${what}`);
    const [want] = await runKernelOn('cpu', 'BatchMatMul', inputs, attrs);
    assert.deepEqual(got.shape, want.shape, what);
    assertClose(got.values, want.values, 1e-5 * Math.max(1, maxAbs(want.values)), 1e-5, `${what} vs cpu`);
    const old = tf.tidy(() => {
      const backend = tf.backend();
      const out = native!.kernelFunc({ inputs: inputs(), backend, attrs: attrs as unknown as tf.NamedAttrMap }) as tf.TensorInfo;
      assert.deepEqual(out.shape, got.shape, `${what}: native shape`);
      const values = backend.readSync(out.dataId) as Float32Array;
      backend.disposeData(out.dataId);
      return values;
    });
    assertClose(got.values, old, 1e-5 * Math.max(1, maxAbs(old)), 1e-5, `${what} vs native`);
  }
});

test('dense layer gradients (fused matMul with bias and relu) on wasm match cpu', async () => {
  const grads = () => tf.grads((x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor) =>
    tf.sum(tf.square(tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias, activation: 'relu' }))),
  )([seededTensor([16, 40], 1201), seededTensor([40, 12], 1202), seededTensor([12], 1203)]);
  const wasm = await runOn('wasm', grads);
  const cpu = await runOn('cpu', grads);
  for (const [i, name] of ['dx', 'dW', 'dbias'].entries()) {
    assertClose(wasm[i].values, cpu[i].values, 1e-5 * Math.max(1, maxAbs(cpu[i].values)), 1e-5, name);
  }
});
