import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { assertClose, liveCounts, runOn, seededTensor } from '../testing.ts';
import { maxPoolGradConfig } from './MaxPoolGrad.ts';
import { registerWasmGradientKernels } from './register.ts';

let native: tf.KernelConfig | undefined;

before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('wasm');
  native = tf.getKernel('MaxPoolGrad', 'wasm');
  registerWasmGradientKernels();
});

interface PoolCase { b: number; h: number; w: number; c: number; k: number | [number, number]; s: number | [number, number]; pad: 'same' | 'valid' | number }

// Channels 1/3/6/16, LeNet's 2×2/2, overlapping 3×3/2 (ResNet stem), stride 1, same/valid/numeric
// padding, batch 1 and odd sizes, non-square windows.
const cases: PoolCase[] = [
  { b: 2, h: 8, w: 8, c: 6, k: 2, s: 2, pad: 'valid' },
  { b: 1, h: 7, w: 7, c: 16, k: 2, s: 2, pad: 'valid' }, // odd size: last row/column dropped
  { b: 3, h: 9, w: 9, c: 3, k: 3, s: 2, pad: 'same' },
  { b: 1, h: 6, w: 5, c: 1, k: 3, s: 1, pad: 'same' },
  { b: 2, h: 7, w: 9, c: 6, k: [2, 3], s: [1, 2], pad: 'valid' },
  { b: 1, h: 8, w: 8, c: 16, k: 3, s: 2, pad: 1 },
  { b: 2, h: 5, w: 5, c: 3, k: 2, s: 1, pad: 'same' },
];

/** x quantised to multiples of ½ and rectified, as after a ReLU: windows full of ties and zeros. */
function tiedInput(shape: number[], seed: number): tf.Tensor {
  return tf.tidy(() => tf.relu(tf.round(seededTensor(shape, seed, 2).mul(2)).div(2)));
}

function describe(c: PoolCase): string {
  return `x[${c.b},${c.h},${c.w},${c.c}] pool ${c.k} s${c.s} pad ${c.pad}`;
}

test('registerWasmGradientKernels installs this MaxPoolGrad over the native one', () => {
  assert.ok(native && native !== maxPoolGradConfig, 'tfjs-backend-wasm ships its own');
  assert.equal(tf.getKernel('MaxPoolGrad', 'wasm'), maxPoolGradConfig);
});

test('MaxPoolGrad (replacement) on wasm matches cpu, ties and negative windows included, without leaking', async () => {
  for (const [i, c] of cases.entries()) {
    for (const tied of [false, true]) {
      const xShape = [c.b, c.h, c.w, c.c];
      const attrs = { filterSize: c.k, strides: c.s, pad: c.pad };
      const inputs = () => {
        const input = tied ? tiedInput(xShape, 900 + i) : seededTensor(xShape, 900 + i);
        const output = tf.maxPool(input as tf.Tensor4D, c.k, c.s, c.pad);
        return { dy: seededTensor(output.shape, 950 + i), input, output };
      };
      const run = () => tf.engine().runKernel('MaxPoolGrad', inputs(), attrs) as tf.Tensor;
      const what = `${describe(c)}${tied ? ' with ties' : ''}`;
      const before = liveCounts('wasm');
      const [got] = await runOn('wasm', run);
      assert.deepEqual(liveCounts('wasm'), before, `leak: ${what}`);
      const [want] = await runOn('cpu', run);
      assert.deepEqual(got.shape, want.shape, what);
      // Each dx element is a sum of at most a few dy values: equal up to float rounding.
      assertClose(got.values, want.values, 1e-6, 1e-6, `${what} vs cpu`);
    }
  }
});

test('why it is replaced: the native kernel loses the gradient of windows without a positive value', async () => {
  // maxPool straight after a conv or batch norm (no ReLU in between) sees negative windows.
  const inputs = () => {
    const input = tf.sub(tf.abs(seededTensor([1, 4, 4, 2], 971)), 2); // all values in [−2, −1]
    return { dy: tf.onesLike(tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid')), input, output: tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid') };
  };
  const attrs = { filterSize: 2, strides: 2, pad: 'valid' };
  const [ours] = await runOn('wasm', () => tf.engine().runKernel('MaxPoolGrad', inputs(), attrs) as tf.Tensor);
  const [cpu] = await runOn('cpu', () => tf.engine().runKernel('MaxPoolGrad', inputs(), attrs) as tf.Tensor);
  const old = tf.tidy(() => {
    const backend = tf.backend();
    const out = native!.kernelFunc({ inputs: inputs(), backend, attrs: attrs as unknown as tf.NamedAttrMap }) as tf.TensorInfo;
    const values = backend.readSync(out.dataId) as Float32Array;
    backend.disposeData(out.dataId);
    return values;
  });
  const total = (v: ArrayLike<number>) => Array.from(v).reduce((a, b) => a + b, 0);
  assert.equal(total(cpu.values), 8, 'each of the 2×2×2 windows passes its gradient 1 on');
  assert.equal(total(ours.values), 8);
  assertClose(ours.values, cpu.values, 0, 0, 'ours vs cpu');
  assert.ok(total(old) < 8, `native tfjs-backend-wasm 4.22 MaxPoolGrad: total ${total(old)} (if this fails, tfjs fixed it)`);
});

test('maxPool gradient through tf.grad (replacement) on wasm matches cpu', async () => {
  const gradOf = () => tf.grad((x: tf.Tensor) =>
    tf.sum(tf.mul(tf.maxPool(tf.relu(x) as tf.Tensor4D, 3, 2, 'same'), seededTensor([2, 4, 4, 6], 991))))(seededTensor([2, 7, 7, 6], 992));
  const [wasm] = await runOn('wasm', gradOf);
  const [cpu] = await runOn('cpu', gradOf);
  assertClose(wasm.values, cpu.values, 1e-6, 1e-6, 'd/dx Σ maxPool(relu(x))·r');
});
