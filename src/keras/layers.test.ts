import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { GlobalAveragePooling2D, Normalization, Rescaling, registerKerasLayers } from './layers.ts';
import { assertClose } from '../backend/testing.ts';

tf.env().set('PROD', true);
await tf.setBackend('cpu');
registerKerasLayers();

/** Serialise a model to JSON and build it again (what saving to model.json and loading does). */
async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  const topology = model.toJSON(null, false);
  const again = await tf.models.modelFromJSON({ modelTopology: topology } as unknown as tf.io.ModelJSON);
  again.setWeights(model.getWeights());
  return again;
}

test('Rescaling: scalar and per-channel scale, offset, serialised and loaded back', async () => {
  const input = tf.input({ shape: [2, 2, 3] });
  let x = new Rescaling({ scale: 1 / 255, name: 'rescaling' }).apply(input) as tf.SymbolicTensor;
  x = new Rescaling({ scale: [1, 2, 4], offset: -1, name: 'rescaling_1' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: x });
  const data = tf.fill([1, 2, 2, 3], 255);
  const again = await roundTrip(model);
  assert.equal(again.layers[1].getClassName(), 'Rescaling');
  assert.deepEqual((again.layers[2].getConfig() as { scale: number[] }).scale, [1, 2, 4]);
  for (const m of [model, again]) assertClose((m.predict(data) as tf.Tensor).dataSync(), [0, 1, 3, 0, 1, 3, 0, 1, 3, 0, 1, 3]);
});

test('Normalization: (x - mean) / sqrt(variance) with mean/variance/count weights, as Keras', async () => {
  const input = tf.input({ shape: [1, 2, 3] });
  const layer = new Normalization({ axis: 3, name: 'normalization' });
  const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
  assert.deepEqual(layer.weights.map((w) => [w.originalName, w.shape, w.trainable]), [
    ['normalization/mean', [3], false], ['normalization/variance', [3], false], ['normalization/count', [], false],
  ]);
  assert.equal(layer.countParams(), 7); // EfficientNet's 7 non-trainable stem parameters
  layer.setWeights([tf.tensor1d([1, 2, 3]), tf.tensor1d([4, 16, 0]), tf.scalar(10)]);
  const x = tf.tensor4d([[[[3, 6, 3], [1, 2, 3]]]]);
  // variance 0 → divided by Keras' epsilon (1e-7) rather than 0
  const expected = [(3 - 1) / 2, (6 - 2) / 4, 0, 0, 0, 0];
  assertClose((model.predict(x) as tf.Tensor).dataSync(), expected);
  const again = await roundTrip(model);
  assert.equal(again.layers[1].getClassName(), 'Normalization');
  assertClose((again.predict(x) as tf.Tensor).dataSync(), expected);
});

test('Normalization with fixed mean/variance has no weights; invert undoes it', () => {
  const n = new Normalization({ axis: -1, mean: [1, 2], variance: [4, 9] });
  const inv = new Normalization({ axis: -1, mean: [1, 2], variance: [4, 9], invert: true });
  const x = tf.tensor2d([[3, 8]]);
  const y = n.apply(x) as tf.Tensor;
  assert.equal(n.weights.length, 0);
  assertClose(y.dataSync(), [1, 2]);
  assertClose((inv.apply(y) as tf.Tensor).dataSync(), [3, 8]);
});

test('GlobalAveragePooling2D keepdims (MobileNet top) and the plain form tfjs writes', async () => {
  const input = tf.input({ shape: [2, 2, 2] });
  const keep = new GlobalAveragePooling2D({ keepdims: true, name: 'gap' }).apply(input) as tf.SymbolicTensor;
  assert.deepEqual(keep.shape, [null, 1, 1, 2]);
  const model = tf.model({ inputs: input, outputs: keep });
  const again = await roundTrip(model);
  const x = tf.tensor4d([[[[1, 10], [3, 30]], [[5, 50], [7, 70]]]]);
  assertClose((again.predict(x) as tf.Tensor).dataSync(), [4, 40]);
  assert.deepEqual((again.predict(x) as tf.Tensor).shape, [1, 1, 1, 2]);
  // A model saved with tfjs' own layer still loads and means the same.
  const plain = tf.model({ inputs: input, outputs: tf.layers.globalAveragePooling2d({}).apply(input) as tf.SymbolicTensor });
  const plainAgain = await roundTrip(plain);
  assert.deepEqual((plainAgain.predict(x) as tf.Tensor).shape, [1, 2]);
});

test("tfjs' swish is Keras' swish (x·sigmoid(x)); Keras 3's 'silu' is accepted", () => {
  const x = tf.tensor1d([-2, 0, 1.5]);
  const want = [-2 / (1 + Math.exp(2)), 0, 1.5 / (1 + Math.exp(-1.5))];
  assertClose((tf.layers.activation({ activation: 'swish' }).apply(x) as tf.Tensor).dataSync(), want);
  assertClose((tf.layers.activation({ activation: 'silu' as 'swish' }).apply(x) as tf.Tensor).dataSync(), want);
});

test("tfjs' Dropout with noise_shape [null, 1, 1, 1] drops whole samples in training and loads from a Keras config", async () => {
  const input = tf.input({ shape: [4, 4, 3] });
  const drop = tf.layers.dropout({ rate: 0.5, noiseShape: [null, 1, 1, 1] as unknown as number[], seed: 7, name: 'block2b_drop' });
  const model = tf.model({ inputs: input, outputs: drop.apply(input) as tf.SymbolicTensor });
  const again = await roundTrip(model);
  assert.deepEqual((again.layers[1].getConfig() as { noiseShape: unknown }).noiseShape, [null, 1, 1, 1]);
  const x = tf.ones([64, 4, 4, 3]);
  const y = (again.layers[1].apply(x, { training: true }) as tf.Tensor).reshape([64, 48]);
  const rows = y.arraySync() as number[][];
  let kept = 0;
  for (const r of rows) {
    assert.ok(r.every((v) => v === r[0]), 'one draw per sample');
    assert.ok(r[0] === 0 || Math.abs(r[0] - 2) < 1e-6);
    if (r[0] > 0) kept++;
  }
  assert.ok(kept > 10 && kept < 54, `kept ${kept} of 64`);
  assertClose((again.predict(x) as tf.Tensor).dataSync().slice(0, 5), [1, 1, 1, 1, 1]); // identity at inference
});
