import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKerasWeights, weightKey } from './weights.ts';
import { writeKerasH5 } from './h5/write.ts';
import { mobilenet } from '../models/mobilenet.ts';
import { vgg16 } from '../models/vgg16.ts';
import { Normalization, registerKerasLayers } from './layers.ts';
import { UserError } from '../util/errors.ts';
import { KERAS_H5_DIR as FIXTURES } from '../../test/fixtures/index.ts';

tf.env().set('PROD', true);
await tf.setBackend('cpu');
registerKerasLayers();

const MOBILENET = join(FIXTURES, 'mobilenet_2_5_224_tf_no_top.h5');

const absSum = (m: tf.LayersModel) => m.weights.reduce((s, w) => s + (tf.sum(tf.abs(w.read())).dataSync()[0]), 0);

test("Keras' ImageNet MobileNet (alpha 0.25) file loads into `mobilenet` with every tensor assigned", async () => {
  const m = await mobilenet({ alpha: 0.25, includeTop: false, weights: MOBILENET, inputShape: [224, 224, 3] });
  const w = (m as tf.LayersModel & { kerasWeights?: { assigned: number; tensors: number; values: number } }).kerasWeights!;
  assert.deepEqual({ assigned: w.assigned, tensors: w.tensors, values: w.values }, { assigned: 135, tensors: 135, values: 218_544 });
  assert.equal(m.weights.length, 135);
  // The same numbers h5py reads (sum of |w| over the file, see h5/read.test.ts).
  assert.ok(Math.abs(absSum(m) - 99448.069594) < 0.05);
  assert.deepEqual(Array.from(m.getLayer('conv1').getWeights()[0].dataSync().slice(0, 2)), [0.6565709710121155, 0.4860647916793823]);
  // Any input size from 32 takes the same weights.
  const small = await mobilenet({ alpha: 0.25, includeTop: false, pooling: 'avg', weights: MOBILENET, inputShape: [32, 32, 3] });
  const y = small.predict(tf.zeros([1, 32, 32, 3])) as tf.Tensor;
  assert.deepEqual(y.shape, [1, 256]);
  assert.ok(y.dataSync().every(Number.isFinite));
  m.dispose();
  small.dispose();
});

test('a weights file for another architecture is refused, naming the first mismatching layer', async () => {
  await assert.rejects(mobilenet({ alpha: 0.5, includeTop: false, weights: MOBILENET }),
    (e: Error) => e instanceof UserError && e.message === "mobilenet_2_5_224_tf_no_top.h5: layer 'conv1' weight 'kernel': the file has shape [3, 3, 3, 8], the model [3, 3, 3, 16]");
  await assert.rejects(vgg16({ includeTop: false, weights: MOBILENET }),
    (e: Error) => e instanceof UserError && /^mobilenet_2_5_224_tf_no_top\.h5: no weights for layer 'block1_conv1' of vgg16 \(the file's layers with weights begin conv1, conv1_bn/.test(e.message));
  await assert.rejects(mobilenet({ alpha: 0.25, includeTop: true, weights: MOBILENET }),
    (e: Error) => e instanceof UserError && /no weights for layer 'conv_preds'/.test(e.message));
  // Keras' by_name behaviour, where asked for: the top keeps its initial weights.
  const top = await mobilenet({ alpha: 0.25, includeTop: true, weights: null, fastInit: true });
  const r = await loadKerasWeights(top, MOBILENET, { allowMissing: true });
  assert.deepEqual(r.missing, ['conv_preds']);
  assert.equal(r.assigned, 135);
  top.dispose();
});

test('Keras 2.1 (fixed-length names) and Keras 3 (no :0, model-prefixed paths) weights load by name', async () => {
  // The network of keras2.1.5-mnist-cnn-weights.h5, built here with its layer names.
  const input = tf.input({ shape: [28, 28, 1] });
  let x = tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', name: 'conv2d_1' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2, name: 'max_pooling2d_1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', name: 'conv2d_2' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2, name: 'max_pooling2d_2' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', name: 'conv2d_3' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'flatten_1' }).apply(x) as tf.SymbolicTensor;
  const dense1 = tf.layers.dense({ units: 64, activation: 'relu', name: 'dense_1' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 10, activation: 'softmax', name: 'dense_2' }).apply(dense1) as tf.SymbolicTensor;
  const cnn = tf.model({ inputs: input, outputs: out });
  const r = await loadKerasWeights(cnn, join(FIXTURES, 'keras2.1.5-mnist-cnn-weights.h5'));
  assert.equal(r.assigned, 10);
  assert.equal(r.kerasVersion, '2.1.5');
  assert.deepEqual(Array.from(cnn.getLayer('conv2d_1').getWeights()[0].dataSync().slice(0, 1)), [0.12648822367191315]);

  const dense = tf.sequential({ layers: [
    tf.layers.flatten({ inputShape: [28, 28, 1], name: 'flatten_1' }),
    tf.layers.dense({ units: 128, activation: 'relu', name: 'dense_3' }),
    tf.layers.dense({ units: 64, activation: 'relu', name: 'dense_4' }),
    tf.layers.dense({ units: 10, activation: 'softmax', name: 'dense_5' }),
  ] });
  const r3 = await loadKerasWeights(dense, join(FIXTURES, 'keras3.10-fashion-mnist-dense-model.h5'));
  assert.equal(r3.assigned, 6);
  assert.deepEqual(Array.from(dense.getLayer('dense_3').getWeights()[0].dataSync().slice(0, 1)), [-0.06155230104923248]);

  const wrong = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1], name: 'flatten_1' }), tf.layers.dense({ units: 100, name: 'dense_3' })] });
  await assert.rejects(loadKerasWeights(wrong, join(FIXTURES, 'keras3.10-fashion-mnist-dense-model.h5')),
    (e: Error) => e instanceof UserError && e.message === "keras3.10-fashion-mnist-dense-model.h5: layer 'dense_3' weight 'kernel': the file has shape [784, 128], the model [784, 100]");
});

test("Keras' automatic names may differ by a suffix (normalization vs normalization_1); shapes that differ only by 1s load", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-'));
  try {
    const file = join(dir, 'w.h5');
    await writeKerasH5(file, {
      kerasVersion: '2.4.0',
      layers: [{ name: 'normalization_1', weights: [
        { name: 'normalization_1/mean:0', shape: [1, 1, 1, 3], values: Float32Array.of(1, 2, 3) },
        { name: 'normalization_1/variance:0', shape: [1, 1, 1, 3], values: Float32Array.of(4, 4, 4) },
        { name: 'normalization_1/count:0', shape: [], values: Float32Array.of(5) },
      ] }],
    });
    const input = tf.input({ shape: [2, 2, 3] });
    const model = tf.model({ inputs: input, outputs: new Normalization({ axis: 3, name: 'normalization' }).apply(input) as tf.SymbolicTensor });
    const r = await loadKerasWeights(model, file);
    assert.equal(r.assigned, 3);
    assert.deepEqual(Array.from(model.getLayer('normalization').getWeights()[0].dataSync()), [1, 2, 3]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('weight keys ignore :0 and model prefixes', () => {
  assert.equal(weightKey('conv1_bn/moving_mean:0'), 'moving_mean');
  assert.equal(weightKey('sequential_1/dense_3/kernel'), 'kernel');
});
