/**
 * "Try it"'s saliency on the cpu backend (the one the page uses): the graph walk reproduces the
 * model's own output, Grad-CAM picks the last convolution's block output (ResNet-9's residual sum),
 * and its gradients match independent references — the old chain re-application on LeNet-5, and a
 * model rebuilt with the feature map as a second input on a graph that merges a skip connection.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { seededTensor } from '../../backend/testing.ts';
import { modelEntry } from '../../models/index.ts';
import { camLayer, runGraph, saliency } from './saliency.ts';

before(async () => {
  await tf.setBackend('cpu');
});

/** A registry model, as `fmnist train` builds it (some builders load weights, so a promise). */
const build = async (name: string): Promise<tf.LayersModel> =>
  modelEntry(name).build({ inputShape: [28, 28, 1], classes: 10, seed: 1 });
const input = () => seededTensor([1, 28, 28, 1], 7, 0.5).add(0.5) as tf.Tensor4D;
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => a.sub(b).abs().max().dataSync()[0]);

test("the graph walk gives the model's own output (ResNet-9 with its residual sums, LeNet-5)", async () => {
  for (const name of ['resnet9_xs', 'lenet5']) {
    const m = await build(name);
    const x = input();
    const d = tf.tidy(() => maxDiff(runGraph(m, x).out, m.predict(x) as tf.Tensor));
    assert.ok(d < 1e-6, `${name}: ${d}`);
    m.dispose();
    x.dispose();
  }
});

test("Grad-CAM on the last convolution's block output (ResNet-9: its residual sum); else input gradients", async () => {
  const resnet = await build('resnet9_xs');
  const lenet = await build('lenet5');
  assert.equal(camLayer(resnet)?.name, 'stage3_res1_add');
  assert.equal(camLayer(lenet)?.name, 'conv2');
  const x = input();
  const s = saliency(resnet, x, 3);
  assert.equal(s.kind, 'Grad-CAM on stage3_res1_add');
  assert.equal(s.map.length, 28 * 28);
  assert.ok(s.map.every((v) => Number.isFinite(v) && v >= 0));
  const inp = tf.input({ shape: [28, 28, 1] });
  const mlp = tf.model({
    inputs: inp,
    outputs: tf.layers
      .dense({ units: 10, activation: 'softmax' })
      .apply(tf.layers.flatten().apply(inp)) as tf.SymbolicTensor,
  });
  const g = saliency(mlp, x, 0);
  assert.equal(g.kind, 'input gradients (the model has no convolution)');
  assert.ok(g.map.some((v) => v > 0));
  for (const m of [resnet, lenet, mlp]) m.dispose();
  x.dispose();
});

test('on a chain (LeNet-5) Grad-CAM equals the layers after conv2 re-applied in order', async () => {
  const m = await build('lenet5');
  const x = input();
  const cls = 4;
  const reference = tf.tidy(() => {
    const at = m.layers.findIndex((l) => l.name === 'conv2');
    const acts = tf
      .model({ inputs: m.inputs, outputs: m.layers[at].output as tf.SymbolicTensor })
      .predict(x) as tf.Tensor4D;
    const head = (a: tf.Tensor) => m.layers.slice(at + 1).reduce((y, l) => l.apply(y) as tf.Tensor, a);
    const w = tf
      .grad((a: tf.Tensor) => head(a).gather([cls], 1).sum())(acts)
      .mean([1, 2], true);
    return tf.image.resizeBilinear(tf.relu(acts.mul(w).sum(-1, true)) as tf.Tensor4D, [28, 28]).dataSync();
  });
  const { map } = saliency(m, x, cls);
  assert.ok(
    reference.some((v) => v > 0),
    'a map that is not all zero',
  );
  reference.forEach((v, i) => assert.ok(Math.abs(v - map[i]) < 1e-5, `pixel ${i}: ${v} vs ${map[i]}`));
  m.dispose();
  x.dispose();
});

test("where the head merges a skip from before the feature map, the gradient is the model's own", () => {
  // x → c1 → c2 (the feature map); the head concatenates pooled c2 with pooled c1 — not a chain.
  const conv1 = tf.layers.conv2d({
    filters: 4,
    kernelSize: 3,
    activation: 'relu',
    kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
  });
  const conv2 = tf.layers.conv2d({
    filters: 5,
    kernelSize: 3,
    activation: 'relu',
    kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
  });
  const poolA = tf.layers.globalAveragePooling2d({});
  const poolB = tf.layers.globalAveragePooling2d({});
  const cat = tf.layers.concatenate();
  const dense = tf.layers.dense({
    units: 10,
    activation: 'softmax',
    kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
  });
  const head = (a: tf.SymbolicTensor, c1: tf.SymbolicTensor) =>
    dense.apply(cat.apply([poolA.apply(a), poolB.apply(c1)] as tf.SymbolicTensor[])) as tf.SymbolicTensor;
  const inp = tf.input({ shape: [28, 28, 1] });
  const c1 = conv1.apply(inp) as tf.SymbolicTensor;
  const m = tf.model({ inputs: inp, outputs: head(conv2.apply(c1) as tf.SymbolicTensor, c1) });
  // The reference: the same layers with the feature map as a second input.
  const aIn = tf.input({ shape: conv2.outputShape.slice(1) as number[] });
  const inp2 = tf.input({ shape: [28, 28, 1] });
  const twoInputs = tf.model({ inputs: [inp2, aIn], outputs: head(aIn, conv1.apply(inp2) as tf.SymbolicTensor) });
  const x = input();
  const cls = 2;
  assert.equal(camLayer(m)?.name, conv2.name);
  const reference = tf.tidy(() => {
    const acts = tf.model({ inputs: inp, outputs: conv2.output as tf.SymbolicTensor }).predict(x) as tf.Tensor4D;
    const w = tf
      .grad((a: tf.Tensor) => (twoInputs.apply([x, a]) as tf.Tensor).gather([cls], 1).sum())(acts)
      .mean([1, 2], true);
    return tf.image.resizeBilinear(tf.relu(acts.mul(w).sum(-1, true)) as tf.Tensor4D, [28, 28]).dataSync();
  });
  const { map, kind } = saliency(m, x, cls);
  assert.equal(kind, `Grad-CAM on ${conv2.name}`);
  assert.ok(reference.some((v) => v > 0));
  reference.forEach((v, i) => assert.ok(Math.abs(v - map[i]) < 1e-5, `pixel ${i}: ${v} vs ${map[i]}`));
  x.dispose();
});
