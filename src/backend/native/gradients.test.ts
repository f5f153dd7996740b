/** The one-pass gradients of relu, relu6 and clip (gradients.ts): known answers on every backend, and native against cpu. */
import * as tf from '@tensorflow/tfjs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runOn, seededTensor } from '../testing.ts';
import { compareWithCpu, nativeReady } from './test_support.ts';
import { nativeCalls } from './kernels/shared.ts';
import { RANGE_GRAD } from './kernels/RangeGrad.ts';

// Values on and around every range's ends: which ends pass a gradient is tfjs' rule (relu and relu6: 0 < x;
// relu6: x ≤ 6; clip: min ≤ x ≤ max).
const EDGES = [-1, 0, 1e-7, 3, 6, 6.000001, 7];
const CASES: { what: string; f: (x: tf.Tensor) => tf.Tensor; want: number[] }[] = [
  { what: 'relu', f: (x) => tf.relu(x), want: [0, 0, 1, 1, 1, 1, 1] },
  { what: 'relu6', f: (x) => tf.relu6(x), want: [0, 0, 1, 1, 1, 0, 0] },
  { what: 'clip to [0, 6]', f: (x) => tf.clipByValue(x, 0, 6), want: [0, 1, 1, 1, 1, 0, 0] },
  // tfjs' ReLU layer with maxValue 6 (MobileNetV2's ReLU(6.0)): relu, then clip.
  { what: 'ReLU(6.0) layer', f: (x) => tf.layers.reLU({ maxValue: 6 }).apply(x) as tf.Tensor, want: [0, 0, 1, 1, 1, 0, 0] },
];

test('relu, relu6 and clip pass the gradient exactly where tfjs does, on cpu and on native', async (t) => {
  const skip = await nativeReady();
  for (const backend of skip ? ['cpu'] : ['cpu', 'native']) {
    for (const c of CASES) {
      const [g] = await runOn(backend, () => tf.grad((x: tf.Tensor) => tf.sum(c.f(x)))(tf.tensor1d(EDGES)));
      assert.deepEqual([...g.values], c.want, `${c.what} on ${backend}`);
    }
  }
  if (skip) t.diagnostic(`native not checked: ${skip}`);
});

test('on native each gradient is one FmnistRangeGrad pass and matches cpu on activations', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  // Activations of ±10 under a random upstream gradient, so every range is crossed many times.
  const gradient = (f: (x: tf.Tensor) => tf.Tensor) => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(f(x), seededTensor([4, 6, 6, 12], 9))))(seededTensor([4, 6, 6, 12], 10, 10));
  for (const c of CASES) await compareWithCpu(`${c.what} gradient`, () => gradient(c.f), { kernels: [RANGE_GRAD] });
  // The composed passes tfjs would run (Step for relu; the comparisons, LogicalAnd and Select for clip) are gone.
  const before = ['Step', 'GreaterEqual', 'LessEqual', 'LogicalAnd', 'Select'].map((k) => nativeCalls.get(k) ?? 0);
  tf.tidy(() => gradient(CASES[3].f));
  assert.deepEqual(['Step', 'GreaterEqual', 'LessEqual', 'LogicalAnd', 'Select'].map((k) => nativeCalls.get(k) ?? 0), before);
});
