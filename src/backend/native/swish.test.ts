/** The swish activation (swish.ts): known values, native against cpu with gradients, and a standard saved name. */
import * as tf from '@tensorflow/tfjs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose, runOn, seededTensor } from '../testing.ts';
import { compareWithCpu, nativeReady } from './test_support.ts';
import { SWISH } from './kernels/Swish.ts';
import { SWISH_GRAD } from './kernels/SwishGrad.ts';

const swishLayer = () => tf.layers.activation({ activation: 'swish' });

test('swish and its gradient have their known values on cpu and on native', async (t) => {
  const skip = await nativeReady();
  const x = [-30, -1, 0, 1, 2];
  const sig = x.map((v) => 1 / (1 + Math.exp(-v)));
  const want = x.map((v, i) => v * sig[i]);
  const wantGrad = x.map((v, i) => sig[i] * (1 + v * (1 - sig[i]))); // d/dx x·s(x) = s + x·s·(1 − s)
  for (const backend of skip ? ['cpu'] : ['cpu', 'native']) {
    const [y, g] = await runOn(backend, () => {
      const layer = swishLayer();
      const f = (v: tf.Tensor) => layer.apply(v) as tf.Tensor;
      return [f(tf.tensor1d(x)), tf.grad((v: tf.Tensor) => tf.sum(f(v)))(tf.tensor1d(x))];
    });
    assertClose(y.values, want, 1e-6, 1e-5, `swish on ${backend}`);
    assertClose(g.values, wantGrad, 1e-6, 1e-5, `swish gradient on ${backend}`);
  }
  if (skip) t.diagnostic(`native not checked: ${skip}`);
});

test('on native swish is one pass each way and matches cpu, as an activation layer and inside a conv', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  const x = () => seededTensor([4, 6, 6, 12], 10, 6);
  const upstream = () => seededTensor([4, 6, 6, 12], 9);
  await compareWithCpu('swish layer', () => swishLayer().apply(x()) as tf.Tensor, { kernels: [SWISH] });
  await compareWithCpu('swish gradient', () => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(swishLayer().apply(v) as tf.Tensor, upstream())))(x()), { kernels: [SWISH, SWISH_GRAD] });
  // A conv with activation 'swish' (EfficientNet's squeeze-and-excite reduce): the same activation object.
  const conv = (seed: number) => tf.layers.conv2d({ filters: 5, kernelSize: 1, activation: 'swish', kernelInitializer: tf.initializers.glorotUniform({ seed }) });
  await compareWithCpu('conv + swish gradient', () => {
    const layer = conv(3);
    const g = tf.grad((v: tf.Tensor) => tf.sum(layer.apply(v) as tf.Tensor))(x());
    layer.dispose(); // its kernel and bias
    return g;
  }, { kernels: [SWISH_GRAD], atol: 1e-4 });
});

test('a model using swish saves the standard activation name', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  const input = tf.input({ shape: [4] });
  const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 2, activation: 'swish' }).apply(swishLayer().apply(input)) as tf.SymbolicTensor });
  const layers = (model.toJSON(undefined, false) as { config: { layers: { config: { activation?: string } }[] } }).config.layers;
  assert.deepEqual(layers.slice(1).map((l) => l.config.activation), ['swish', 'swish']);
  model.dispose();
});
