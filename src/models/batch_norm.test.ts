/**
 * The fused training batch norm: on native (fused kernels) against cpu (tfjs' composed ops), with
 * gradients through the batch statistics and leak checks; and as a layer, the same updates and
 * gradients as tfjs' own BatchNormalization, saved as tfjs' class.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededTensor } from '../backend/testing.ts';
import { compareWithCpu, nativeReady } from '../backend/native/test_support.ts';
import { batchNormTraining, batchNormalization } from './batch_norm.ts';

test('batchNormTraining: y, batch moments and gradients on native match tfjs\' composed ops on cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  for (const shape of [[6, 5, 5, 7], [128, 7, 7, 24], [3, 10]]) {
    const c = shape[shape.length - 1];
    await compareWithCpu(`forward ${shape}`, () => {
      const r = batchNormTraining(seededTensor(shape, 1, 3), tf.add(seededTensor([c], 2), 1.5) as tf.Tensor1D, seededTensor([c], 3) as tf.Tensor1D, 1e-5);
      return [r.y, r.mean, r.variance];
    }, { kernels: ['FmnistBatchNormTrain'], atol: 1e-5 });
    await compareWithCpu(`gradients ${shape}`, () => {
      const w = seededTensor(shape, 4); // a loss that weighs every output differently
      const loss = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.square(batchNormTraining(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5).y), w));
      return tf.grads(loss)([seededTensor(shape, 1, 3), tf.add(seededTensor([c], 2), 1.5), seededTensor([c], 3)]);
    }, { kernels: ['FmnistBatchNormTrain', 'FmnistBatchNormTrainGrad'], atol: 1e-4 });
  }
});

test('batchNormTraining on native: moments of data far from zero (|mean| ≫ std) agree with a float64 reference', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  await tf.setBackend('native');
  const [rows, c] = [4096, 5];
  const x = tf.tidy(() => tf.add(tf.mul(seededTensor([rows, c], 7), 0.01), 1000));
  const r = batchNormTraining(x, tf.ones([c]), tf.zeros([c]), 1e-5);
  const [xs, mean, variance] = [x.dataSync(), r.mean.dataSync(), r.variance.dataSync()];
  for (let j = 0; j < c; j++) {
    let m = 0;
    for (let i = 0; i < rows; i++) m += xs[i * c + j] / rows;
    let v = 0;
    for (let i = 0; i < rows; i++) v += (xs[i * c + j] - m) ** 2 / rows;
    assert.ok(Math.abs(mean[j] - m) <= 1e-4, `mean ${j}: ${mean[j]} vs ${m}`);
    assert.ok(Math.abs(variance[j] - v) <= 1e-3 * v, `variance ${j}: ${variance[j]} vs ${v}`);
  }
  tf.dispose([x, r.y, r.mean, r.variance]);
});

test('the layer trains as tfjs\' BatchNormalization (outputs, moving statistics, gradients) and saves as it', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  const run = (make: typeof batchNormalization) => {
    let result: { values: number[][]; config: tf.serialization.ConfigDict; className: string } | undefined;
    tf.tidy(() => {
    const bn = make({ momentum: 0.9, epsilon: 1e-5 });
    const x = seededTensor([16, 6, 6, 8], 5, 2);
    bn.build(x.shape);
    const [gamma, beta] = bn.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(bn.apply(x, { training: true }) as tf.Tensor, seededTensor([16, 6, 6, 8], 6))) as tf.Scalar, [gamma, beta]);
    const out = [bn.apply(x, { training: true }) as tf.Tensor, grads[gamma.name], grads[beta.name], ...bn.nonTrainableWeights.map((w) => w.read().clone()), bn.apply(x) as tf.Tensor];
    const config = bn.getConfig();
    const className = bn.getClassName();
    for (const w of bn.weights) w.dispose();
    result = { values: out.map((v) => Array.from(v.dataSync())), config, className };
    });
    return result!;
  };
  await tf.setBackend('native');
  const ours = run(batchNormalization);
  const theirs = run((a) => tf.layers.batchNormalization(a));
  assert.equal(ours.className, 'BatchNormalization');
  assert.deepEqual({ ...ours.config, name: '' }, { ...theirs.config, name: '' });
  ours.values.forEach((v, i) => v.forEach((a, j) => assert.ok(Math.abs(a - theirs.values[i][j]) <= 2e-4 * Math.max(1, Math.abs(theirs.values[i][j])), `output ${i}[${j}]: ${a} vs ${theirs.values[i][j]}`)));
});
