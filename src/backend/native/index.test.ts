/**
 * The native backend as a whole: registration, every cpu kernel available, the output-array pool
 * never recycling storage someone can still see, and a few LeNet-5 training steps agreeing with
 * the cpu backend.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertClose, seededTensor } from '../testing.ts';
import type { NativeBackend } from './backend.ts';
import { fusedAdamSteps } from './adam.ts';
import { registerNativeBackend } from './index.ts';
import { nativeReady } from './test_support.ts';

test('registerNativeBackend is idempotent and reports its threads; every cpu kernel exists on native', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  assert.equal(registerNativeBackend(1), 1);
  assert.equal(registerNativeBackend(2), 2);
  const native = new Set(tf.getKernelsForBackend('native').map((k) => k.kernelName));
  const missing = tf.getKernelsForBackend('cpu').map((k) => k.kernelName).filter((k) => !native.has(k));
  assert.deepEqual(missing, []);
  assert.equal(tf.getBackend(), 'native');
});

test('pooled output arrays: values read out, slices (views) and user arrays are never recycled', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  const shape = [64, 32, 32];
  const churn = () => { for (let i = 0; i < 4; i++) tf.tidy(() => tf.relu(tf.mul(seededTensor(shape, 50 + i), 2))); };

  // 1. dataSync hands out the backend's own array: it must not be reused after dispose.
  const y = tf.relu(seededTensor(shape, 1));
  const read = y.dataSync();
  const saved = read.slice();
  y.dispose();
  churn();
  assert.deepEqual(read, saved, 'an array read with dataSync was overwritten after dispose');

  // 2. The cpu Slice kernel returns a subarray view of its input: disposing the input must not
  //    recycle the storage the slice still uses.
  const big = tf.relu(seededTensor(shape, 2));
  const part = tf.slice(big, [0], [8]);
  const expected = part.dataSync().slice();
  big.dispose();
  churn();
  assert.deepEqual(part.dataSync(), expected, 'a slice view was overwritten after its source was disposed');
  part.dispose();

  // 3. An array the user created a tensor from is theirs.
  const mine = new Float32Array(64 * 32 * 32).fill(1);
  tf.tidy(() => tf.relu(tf.tensor(mine, shape)));
  churn();
  assert.ok(mine.every((v) => v === 1), 'a user array was recycled');

  // The pool is in use and bounded.
  const stats = (tf.findBackend('native') as NativeBackend).poolStats();
  assert.ok(stats.arrays > 0 && stats.bytes <= 512 * 1024 * 1024);
});

test('LeNet-5 training steps (fused Adam) on native agree with cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  const train = async (backend: string): Promise<{ weights: Float32Array[]; losses: number[] }> => {
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const m = tf.sequential();
    const init = (seed: number) => tf.initializers.glorotUniform({ seed });
    m.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: init(1) }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu', kernelInitializer: init(2) }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 120, activation: 'relu', kernelInitializer: init(3) }));
    m.add(tf.layers.dense({ units: 84, activation: 'relu', kernelInitializer: init(4) }));
    m.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: init(5) }));
    const opt = tf.train.adam(1e-3);
    const losses: number[] = [];
    for (let step = 0; step < 3; step++) {
      const loss = tf.tidy(() => {
        const x = tf.abs(seededTensor([8, 28, 28, 1], 10 + step));
        const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7].map((k) => (k + step) % 10), 'int32'), 10);
        return opt.minimize(() => tf.mean(tf.metrics.categoricalCrossentropy(y, m.apply(x) as tf.Tensor)) as tf.Scalar, true)!;
      });
      losses.push(loss.dataSync()[0]);
      loss.dispose();
    }
    const weights = m.getWeights().map((w) => w.dataSync().slice() as Float32Array);
    m.dispose();
    opt.dispose();
    assert.equal(tf.memory().numTensors, before, `tensor leak training on ${backend}`);
    return { weights, losses };
  };
  const cpu = await train('cpu');
  const fusedBefore = fusedAdamSteps.count;
  const native = await train('native');
  assert.equal(fusedAdamSteps.count - fusedBefore, 3, 'the fused Adam update ran on native');
  assertClose(native.losses, cpu.losses, 1e-5, 1e-4, 'losses');
  native.weights.forEach((w, i) => assertClose(w, cpu.weights[i], 1e-5, 1e-3, `weights ${i}`));
});
