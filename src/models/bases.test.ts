import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { cutModel, loadBase, mobilenetAlphaFromFile } from './bases.ts';
import { saveModel } from '../store/model_io.ts';
import { UserError } from '../util/errors.ts';
import { assertClose } from '../backend/testing.ts';

tf.env().set('PROD', true);
await tf.setBackend('cpu');

function small(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 1], name: 'pixels' });
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', name: 'features' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 3, activation: 'softmax', name: 'head' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: 'small' });
}

test('--base PATH/model.json (or its folder) loads any tfjs layers model, cut by default below its classifier; --cut LAYER chooses', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'base-'));
  try {
    const m = small();
    await saveModel(m, dir, { inputScale: 'raw' });
    const base = await loadBase(dir);
    assert.equal(base.cut, 'features', 'the last layer with a feature map, under pool and head');
    assert.equal(base.preprocess, 'raw');
    assert.deepEqual(base.inputShape, [8, 8, 1]);
    const x = tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 4);
    const conv = tf.model({ inputs: m.inputs, outputs: m.getLayer('features').output as tf.SymbolicTensor });
    assertClose((base.model.predict(x) as tf.Tensor).dataSync(), (conv.predict(x) as tf.Tensor).dataSync());
    const bigger = await loadBase(join(dir, 'model.json'), { cut: 'features', inputSize: 40 });
    assert.deepEqual(bigger.model.outputs[0].shape, [null, 38, 38, 4], 'rebuilt at the asked size, same weights');
    assertClose(bigger.model.getLayer('features').getWeights()[0].dataSync(), m.getLayer('features').getWeights()[0].dataSync());
    await assert.rejects(loadBase(dir, { cut: 'pool' }), (e: Error) => e instanceof UserError && /cut at a feature map/.test(e.message));
    await assert.rejects(loadBase(dir, { cut: 'nope' }), (e: Error) => e instanceof UserError && e.message.endsWith("no layer 'nope' to cut at (its last layers: pixels, features, pool, head)"));
    await assert.rejects(loadBase(dir, { inputSize: 31 }), (e: Error) => e instanceof UserError && /≥ 32/.test(e.message));
    assert.throws(() => cutModel(m, 'nope'), UserError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Keras MobileNet file names give the width: mobilenet_2_5_224_tf_no_top.h5 is alpha 0.25', () => {
  assert.equal(mobilenetAlphaFromFile('/x/mobilenet_2_5_224_tf_no_top.h5'), 0.25);
  assert.equal(mobilenetAlphaFromFile('mobilenet_7_5_128_tf.h5'), 0.75);
  assert.equal(mobilenetAlphaFromFile('mobilenet_1_0_224_tf.h5'), 1);
  assert.equal(mobilenetAlphaFromFile('weights.h5'), undefined);
});

test('--base refuses what it cannot use, in one line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'base-'));
  try {
    await assert.rejects(loadBase(join(dir, 'missing.json')), (e: Error) => e instanceof UserError && /no such model or file/.test(e.message));
    writeFileSync(join(dir, 'graph.json'), JSON.stringify({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] }));
    await assert.rejects(loadBase(join(dir, 'graph.json')), (e: Error) => e instanceof UserError && /graph model has no layers/.test(e.message));
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['gone.bin'], weights: [] }] }));
    await assert.rejects(loadBase(dir), (e: Error) => e instanceof UserError && /gone\.bin: weights file named in model\.json is missing/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
