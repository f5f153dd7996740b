/** Mean and Tile on the native backend against cpu, and the batch-norm training gradient that uses both. */
import * as tf from '@tensorflow/tfjs';
import { test } from 'node:test';
import { seededTensor } from '../../testing.ts';
import { compareWithCpu, nativeReady } from '../test_support.ts';

test('Mean over contiguous axes matches cpu (other axis sets on the cpu kernel)', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  const cases: [number[], number | number[], boolean][] = [
    [[16, 7, 7, 12], [0, 1, 2], true], // batch moments, as tf.moments takes them
    [[16, 7, 7, 12], [0, 1, 2], false],
    [[7, 5], 1, false],
    [[3, 4, 5, 6], [1, 2], true],
  ];
  for (const [shape, axis, keepDims] of cases) {
    await compareWithCpu(`${shape} axis ${axis} keepDims ${keepDims}`, () => tf.mean(seededTensor(shape, 1), axis, keepDims), { kernels: ['Mean'] });
  }
  await compareWithCpu('axes 0,2', () => tf.mean(seededTensor([3, 4, 5], 1), [0, 2]), { kernels: [] });
});

test('Tile of leading unit axes matches cpu (other tilings on the cpu kernel)', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  const cases: [number[], number[]][] = [
    [[1, 1, 1, 6], [4, 5, 3, 1]], // the batch-norm gradient's 1/sqrt(var + eps)
    [[1, 3, 4], [7, 1, 1]],
    [[1, 5], [1, 1]],
    [[1, 1, 2], [3, 5, 1]],
  ];
  for (const [shape, reps] of cases) await compareWithCpu(`${shape} x ${reps}`, () => tf.tile(seededTensor(shape, 2), reps), { kernels: ['Tile'] });
  await compareWithCpu('trailing reps', () => tf.tile(seededTensor([2, 3], 2), [1, 2]), { kernels: [] });
  await compareWithCpu('leading axis not 1', () => tf.tile(seededTensor([2, 3], 2), [3, 1]), { kernels: [] });
});

test('batch norm as a layer trains it (batch moments, moving averages) and its gradients match cpu', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  await compareWithCpu('batchNormalization layer grads', () => {
    const bn = tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 });
    const x = seededTensor([8, 6, 6, 5], 3, 2);
    bn.build(x.shape);
    const [gamma, beta] = bn.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(bn.apply(x, { training: true }) as tf.Tensor, seededTensor([8, 6, 6, 5], 4))) as tf.Scalar, [gamma, beta]);
    const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.square(bn.apply(a, { training: true }) as tf.Tensor)))(x);
    const moving = bn.nonTrainableWeights.map((w) => w.read().clone());
    const out = [value, grads[gamma.name], grads[beta.name], dx, ...moving];
    for (const w of bn.weights) w.dispose(); // a layer never called symbolically cannot be disposed as a whole
    return out;
  }, { kernels: ['Mean', 'Tile', 'FusedBatchNorm'], atol: 1e-4 });
});
