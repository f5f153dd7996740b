/**
 * The training optimizers take the step's learning rate as an argument: a step at rate 0 leaves
 * the weights as they are, a step at rate lr moves them by the amount the update rule gives for
 * lr (on cpu, wasm and native, where Adam is the fused addon call), and the results, slots and
 * checkpoints match tfjs' own optimizers made with that rate.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initBackend } from '../backend/select.ts';
import { fusedAdamSteps } from '../backend/native/adam.ts';
import { nativeReady } from '../backend/native/test_support.ts';
import { makeOptimizer, type TrainOptimizer } from './optimizer.ts';
import { prepareTrainee, trainStep, type Trainee } from './step.ts';

type Kind = 'adam' | 'sgd' | 'rmsprop';
const KINDS: Kind[] = ['adam', 'sgd', 'rmsprop'];
const MOMENTUM = 0.9;
const make = (kind: Kind) => makeOptimizer({ optimizer: kind, momentum: MOMENTUM });

/** tfjs' optimizer with the settings makeOptimizer uses, at a fixed rate. */
function tfjsOptimizer(kind: Kind, lr: number): tf.Optimizer {
  switch (kind) {
    case 'adam': return tf.train.adam(lr, 0.9, 0.999, 1e-7);
    case 'sgd': return tf.train.momentum(lr, MOMENTUM, true);
    case 'rmsprop': return tf.train.rmsprop(lr, 0.9, MOMENTUM, 1e-7);
  }
}

/**
 * The move of the second step at rate lr, after a first step at rate 0, when the gradient is g both
 * times (float64; the first step only filled the slots):
 *   adam     m̂ = g, v̂ = g²            → −lr·g / (|g| + ε)
 *   sgd      nesterov, acc = (1+μ)·g   → −lr·g·(1 + μ + μ²)
 *   rmsprop  ms = 0.19·g², mom₁ = 0    → −lr·g / √(0.19·g² + ε)
 */
function secondStepMove(kind: Kind, lr: number, g: number): number {
  switch (kind) {
    case 'adam': return (-lr * g) / (Math.abs(g) + 1e-7);
    case 'sgd': return -lr * g * (1 + MOMENTUM + MOMENTUM ** 2);
    case 'rmsprop': return (-lr * g) / Math.sqrt(0.19 * g * g + 1e-7);
  }
}

let backends: string[] = [];
let nativeSkip: string | null = null;
before(async () => {
  await initBackend('wasm');
  nativeSkip = await nativeReady(); // leaves native active when it is available
  backends = ['cpu', 'wasm', ...(nativeSkip ? [] : ['native'])];
});

test('each step moves the weights by its own rate: 0 leaves them, lr moves them by the rule\'s amount', async (t) => {
  t.diagnostic(`backends: ${backends.join(', ')}${nativeSkip ? ` (native skipped: ${nativeSkip})` : ''}`);
  const w0 = Float32Array.from({ length: 300 }, (_, i) => Math.sin(i) * 2);
  const g = Float32Array.from({ length: 300 }, (_, i) => (i % 7 === 3 ? 0 : Math.cos(3 * i) * 10 ** ((i % 5) - 2)));
  for (const backend of backends) {
    await tf.setBackend(backend);
    for (const kind of KINDS) {
      const what = `${kind} on ${backend}`;
      const before = tf.memory().numTensors;
      const w = tf.tidy(() => tf.tensor(w0, [20, 15]).variable(true));
      const c = tf.tensor(g, [20, 15]);
      const opt = make(kind);
      const fused = fusedAdamSteps.count;
      const step = (lr: number) => tf.dispose(opt.minimize(() => tf.sum(tf.mul(w, c)), [w], lr)); // gradient: c

      step(0);
      assert.deepEqual(w.dataSync(), w0, `${what}: a step at rate 0 changed the weights`);
      const lr = 0.03;
      step(lr);
      const w2 = w.dataSync();
      for (let i = 0; i < w0.length; i++) {
        const want = w0[i] + secondStepMove(kind, lr, g[i]);
        assert.ok(Math.abs(w2[i] - want) <= 1e-6 + 1e-6 * Math.abs(want), `${what}: weight ${i} is ${w2[i]}, expected ${want} (a step at rate ${lr} from ${w0[i]}, gradient ${g[i]})`);
      }
      assert.ok(w2.some((v, i) => v !== w0[i]), `${what}: a step at rate ${lr} did not move the weights`);
      if (backend === 'native' && kind === 'adam') assert.equal(fusedAdamSteps.count - fused, 2, 'the fused native Adam ran both steps');
      assert.equal(opt.iterations, 2);

      opt.dispose();
      tf.dispose([w, c]);
      assert.equal(tf.memory().numTensors, before, `${what}: tensor leak`);
    }
  }
});

/** A small dense classifier whose last layer is `logits` (as trainStep expects), seeded. */
function tinyModel(): tf.LayersModel {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const m = tf.sequential();
  m.add(tf.layers.dense({ inputShape: [12], units: 8, activation: 'relu', kernelInitializer: init(1) }));
  m.add(tf.layers.dense({ units: 4, name: 'logits', kernelInitializer: init(2) }));
  return m;
}

test('trainStep with our optimizers: rate 0 changes nothing; rate lr gives what tfjs\' optimizer made with lr gives, checkpoints included', async () => {
  const x = (seed: number) => tf.randomUniform([6, 12], -1, 1, 'float32', seed);
  const y = (seed: number) => tf.oneHot(tf.tensor1d([0, 1, 2, 3, 1, 2].map((k) => (k + seed) % 4), 'int32'), 4) as tf.Tensor2D;
  const step = (tr: Trainee, opt: TrainOptimizer | tf.Optimizer, s: number, lr: number) =>
    tf.dispose(Object.values(tf.tidy(() => trainStep(tr, opt, x(s), y(s), { lr, labelSmoothing: 0.1, weightDecay: 0 }))));
  const weights = (m: tf.LayersModel) => m.getWeights().map((w) => w.dataSync().slice());
  for (const backend of backends) {
    await tf.setBackend(backend);
    for (const kind of KINDS) {
      const what = `${kind} on ${backend}`;
      const lr = 0.01;
      const before = tf.memory().numTensors;
      const [theirOpt, theirResumed] = [tfjsOptimizer(kind, lr), tfjsOptimizer(kind, lr)];
      const [ours, theirs] = [tinyModel(), tinyModel()];
      const [a, b] = [prepareTrainee(ours), prepareTrainee(theirs)];
      const start = weights(ours);

      const zero = make(kind);
      step(a, zero, 0, 0);
      step(a, zero, 1, 0);
      assert.deepEqual(weights(ours), start, `${what}: trainStep at rate 0 changed the weights`);
      zero.dispose();

      const ourOpt = make(kind);
      for (let s = 1; s <= 3; s++) {
        step(a, ourOpt, s, lr);
        step(b, theirOpt, s, lr);
      }
      assert.notDeepEqual(weights(ours), start, `${what}: trainStep at rate ${lr} did not move the weights`);
      assert.deepEqual(weights(ours), weights(theirs), `${what}: not the weights tfjs' optimizer made with rate ${lr} gives`);

      // The same checkpoint layout as tfjs': names, order, values.
      const [wa, wb] = [await ourOpt.getWeights(), await theirOpt.getWeights()];
      const ourName = new Map(b.varList.map((v, i) => [v.name, a.varList[i].name])); // the models' variables differ by name
      const renamed = wb.map((w) => w.name.replace(/^(.*)(\/[^/]+)$/, (all, v: string, slot: string) => (ourName.get(v) ?? v) + slot));
      assert.deepEqual(wa.map((w) => w.name), renamed, `${what}: slot names`);
      wa.forEach((w, i) => assert.deepEqual(w.tensor.dataSync(), wb[i].tensor.dataSync(), `${what}: slot ${w.name}`));
      // A tfjs optimizer's checkpoint resumes in ours as in tfjs' own.
      const ourResumed = make(kind);
      await ourResumed.setWeights(wb);
      await theirResumed.setWeights(wb);
      step(a, ourResumed, 4, lr);
      step(b, theirResumed, 4, lr);
      assert.deepEqual(weights(ours), weights(theirs), `${what}: a step after resuming from tfjs' slots`);
      tf.dispose([wa[0].tensor, wb[0].tensor]); // getWeights' fresh 'iter' scalars

      // A tfjs optimizer cannot take another rate: trainStep says so rather than ignore it.
      assert.throws(() => step(b, theirOpt, 5, lr / 2), /steps at its own rate/);

      for (const o of [ourOpt, ourResumed, theirOpt, theirResumed]) o.dispose();
      ours.dispose();
      theirs.dispose();
      // tf.train.momentum's dispose leaves its rate scalar behind (tfjs 4.22), once per optimizer.
      assert.equal(tf.memory().numTensors, before + (kind === 'sgd' ? 2 : 0), `${what}: tensor leak`);
    }
  }
});

test('Adam restored from a checkpoint steps exactly as the one that kept going (running beta powers carried, not recomputed)', async () => {
  await tf.setBackend('cpu');
  const steps = 34;
  const recomputed = tf.tidy(() => tf.pow(0.999, steps + 1).dataSync()[0]);
  const { runningPower } = await import('./optimizer.ts');
  const carried = tf.tidy(() => { let a = tf.scalar(0.999); for (let t = 0; t < steps; t++) a = tf.mul(a, 0.999); return a.dataSync()[0]; });
  assert.equal(runningPower(0.999, steps), carried);
  assert.notEqual(recomputed, carried, 'at this step count tf.pow and the running product differ (so this test can fail)');
  const w0 = Float32Array.from({ length: 50 }, (_, i) => Math.sin(i));
  const c = tf.tensor(Float32Array.from({ length: 50 }, (_, i) => Math.cos(i)));
  const a = tf.variable(tf.tensor(w0));
  const opt = make('adam');
  const step = (o: TrainOptimizer, w: tf.Variable) => tf.dispose(o.minimize(() => tf.sum(tf.mul(tf.square(w), c)), [w], 0.01));
  for (let t = 0; t < steps; t++) step(opt, a);
  const b = tf.variable(a.clone());
  const restored = make('adam');
  const saved = await opt.getWeights();
  await restored.setWeights(saved.map((s) => ({ name: s.name, tensor: s.tensor.clone() })));
  tf.dispose(saved.filter((s) => s.name === 'iter').map((s) => s.tensor));
  step(opt, a);
  step(restored, b);
  assert.deepEqual(b.dataSync(), a.dataSync());
  tf.dispose([a, b, c]);
  opt.dispose();
  restored.dispose();
  await tf.setBackend('wasm');
});
