import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { EFFICIENTNET_VARIANTS, efficientnet, efficientnetGraph, efficientnetImagenetFile } from './efficientnet.ts';
import { modelSummary } from './summary.ts';
import { assertMatchesKeras } from './testdata/keras_reference.ts';
import { saveModel, loadModel } from '../store/model_io.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerKerasLayers } from '../keras/layers.ts';
import { assertClose } from '../backend/testing.ts';

tf.env().set('PROD', true);
await tf.setBackend('cpu');

test('EfficientNetB1 with the top: Keras layer names, order, shapes and 7,856,239 parameters', () => {
  const m = efficientnetGraph('efficientnetb1', { fastInit: true });
  assertMatchesKeras(m, 'efficientnetb1');
  const s = modelSummary(m);
  assert.equal(s.totalParams, 7_856_239);
  assert.equal(s.nonTrainableParams, 62_055); // BN moving statistics + the Normalization's 7
  m.dispose();
});

test('EfficientNetB1 without the top: 6,575,239 parameters; odd input sizes; ImageNet adds the stddev rescaling', () => {
  const m = efficientnetGraph('efficientnetb1', { includeTop: false, fastInit: true });
  assertMatchesKeras(m, 'efficientnetb1_notop');
  assert.equal(modelSummary(m).totalParams, 6_575_239);
  m.dispose();
  const odd = efficientnetGraph('efficientnetb1', { includeTop: false, pooling: 'avg', inputShape: [33, 33, 3], fastInit: true });
  assertMatchesKeras(odd, 'efficientnetb1_notop_avg_33');
  odd.dispose();
  const imagenet = efficientnetGraph('efficientnetb1', { weights: 'imagenet', fastInit: true });
  assertMatchesKeras(imagenet, 'efficientnetb1_imagenet');
  imagenet.dispose();
  const b0 = efficientnetGraph('efficientnetb0', { includeTop: false, fastInit: true });
  assertMatchesKeras(b0, 'efficientnetb0_notop');
  b0.dispose();
});

test("EfficientNet's ImageNet files are Keras' names, URLs and md5s", () => {
  assert.deepEqual(efficientnetImagenetFile('efficientnetb1', false), {
    fname: 'efficientnetb1_notop.h5',
    origin: 'https://storage.googleapis.com/keras-applications/efficientnetb1_notop.h5',
    fileHash: '74c4e6b3e1f6a1eea24c589628592432',
  });
  assert.equal(efficientnetImagenetFile('efficientnetb1', true).fileHash, '1d254153d4ab51201f1646940f018540');
  assert.equal(Object.keys(EFFICIENTNET_VARIANTS).length, 8);
});

test('EfficientNetB0 (custom Rescaling/Normalization, stochastic-depth dropout) trains a step, saves and loads', async () => {
  registerKerasLayers();
  const base = await efficientnet('efficientnetb0', { includeTop: false, pooling: 'avg', inputShape: [32, 32, 3] });
  const head = tf.layers.dense({ units: 10, activation: 'softmax', name: 'head' }).apply(base.outputs[0]) as tf.SymbolicTensor;
  const model = tf.model({ inputs: base.inputs, outputs: head });
  // Adam: steps of about lr whatever the gradient scale (batch-norm over 2 samples makes raw gradients huge).
  model.compile({ optimizer: tf.train.adam(1e-4), loss: 'categoricalCrossentropy' });
  const x = tf.randomUniform([2, 32, 32, 3], 0, 255, 'float32', 1);
  const h = await model.fit(x, tf.oneHot([1, 2], 10), { epochs: 1, verbose: 0 });
  assert.ok(Number.isFinite(h.history.loss[0] as number));
  const dir = mkdtempSync(join(tmpdir(), 'effnet-'));
  try {
    await saveModel(model, dir);
    const again = await loadModel(dir);
    assert.deepEqual(again.layers.map((l) => l.name), model.layers.map((l) => l.name));
    const p = (model.predict(x) as tf.Tensor).dataSync();
    assert.ok(p.every(Number.isFinite), 'finite predictions after the step');
    assertClose((again.predict(x) as tf.Tensor).dataSync(), p, 1e-5, 1e-4);
    again.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    model.dispose();
  }
});
