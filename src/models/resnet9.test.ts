/** The ResNet-9 family: parameter counts of the table's variants, the logits/softmax ending, and plain tfjs deserialisation. */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RESNET9_VARIANTS, resnet9 } from './resnet9.ts';

/** Conv weights (3x3, no bias) + 4 batch-norm vectors per conv + the dense head, counted by hand. */
function expectedParams(w: number[], blocks: number[]): number {
  let convs = 9 * 1 * w[0] + 4 * w[0];
  for (let s = 1; s <= 3; s++) convs += 9 * w[s - 1] * w[s] + 4 * w[s] + blocks[s - 1] * 2 * (9 * w[s] * w[s] + 4 * w[s]);
  return convs + w[3] * 10 + 10;
}

test('ResNet-9 variants have the parameter counts of their widths (1.6M and 0.9M as the issue says)', () => {
  for (const [name, v] of Object.entries(RESNET9_VARIANTS)) {
    const m = resnet9(v, name, { seed: 1 });
    assert.equal(m.countParams(), expectedParams(v.widths, v.blocks), name);
    assert.equal(m.name, name);
    assert.deepEqual(m.outputs[0].shape, [null, 10]);
    assert.equal(m.getLayer('fc').getClassName(), 'Dense');
    assert.equal(m.getLayer('logits').getClassName(), 'Rescaling');
    assert.equal(m.layers[m.layers.length - 1].name, 'predictions');
    m.dispose();
  }
  const big = resnet9(RESNET9_VARIANTS.resnet9, 'resnet9');
  assert.ok(Math.abs(big.countParams() - 1.6e6) < 0.1e6, `${big.countParams()}`);
  big.dispose();
  const small = resnet9(RESNET9_VARIANTS.resnet9_s, 'resnet9_s');
  assert.ok(Math.abs(small.countParams() - 0.93e6) < 0.05e6, `${small.countParams()}`);
  small.dispose();
});

test('ResNet-9 is made of standard layers: plain tfjs rebuilds it from its JSON and predicts the same', async () => {
  const m = resnet9(RESNET9_VARIANTS.resnet9_xs, 'resnet9_xs', { seed: 3 });
  const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 5);
  // Train-mode once so the moving statistics are not the initial 0/1.
  tf.dispose(m.apply(x, { training: true }) as tf.Tensor);
  const copy = await tf.models.modelFromJSON({ modelTopology: m.toJSON(null, false) as tf.io.ModelJSON['modelTopology'] });
  copy.setWeights(m.getWeights());
  const [a, b] = [m.predict(x) as tf.Tensor, copy.predict(x) as tf.Tensor];
  assert.deepEqual(Array.from(await a.data()), Array.from(await b.data()));
  const sums = await tf.sum(a, 1).data();
  for (const s of sums) assert.ok(Math.abs(s - 1) < 1e-5, `softmax rows sum to 1: ${s}`);
  tf.dispose([a, b, x]);
  m.dispose();
  copy.dispose();
});

test('a ResNet-9 training step\'s loss and gradients on native (fused batch norm, pooling) agree with cpu', async (t) => {
  const { nativeReady, compareWithCpu } = await import('../backend/native/test_support.ts');
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  await compareWithCpu('resnet9_xs step', () => {
    const m = resnet9(RESNET9_VARIANTS.resnet9_xs, 'resnet9_xs', { seed: 11 });
    // Two images: the cpu reference is slow, and two already exercise every batch statistic.
    const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 12);
    const y = tf.oneHot(tf.tensor1d([3, 7], 'int32'), 10);
    const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, m.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
    const out = [value, ...vars.map((v) => grads[v.name])];
    for (const w of m.weights) w.dispose();
    return out;
  }, { kernels: ['FmnistBatchNormTrain', 'FmnistBatchNormTrainGrad', 'MaxPoolGrad', 'Conv2DBackpropFilter'], atol: 2e-4 });
});
