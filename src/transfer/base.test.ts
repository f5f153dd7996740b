import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { cutModel, loadBase } from './base.ts';
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

test('--base PATH/model.json (or its folder) loads any tfjs layers model; --cut LAYER takes that layer as output', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'base-'));
  try {
    const m = small();
    await saveModel(m, dir, { inputScale: 'raw' });
    const whole = await loadBase(dir);
    assert.equal(whole.cut, null);
    assert.equal(whole.inputScale, 'raw');
    assert.deepEqual(whole.inputShape, [8, 8, 1]);
    const x = tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 4);
    assertClose((whole.model.predict(x) as tf.Tensor).dataSync(), (m.predict(x) as tf.Tensor).dataSync());
    const cut = await loadBase(join(dir, 'model.json'), { cut: 'pool' });
    assert.deepEqual(cut.model.outputs[0].shape, [null, 4]);
    assert.equal(cut.model.layers[cut.model.layers.length - 1].name, 'pool');
    await assert.rejects(loadBase(dir, { cut: 'nope' }), (e: Error) => e instanceof UserError && e.message.endsWith("no layer 'nope' to cut at (its last layers: pixels, features, pool, head)"));
    assert.throws(() => cutModel(m, 'nope'), UserError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--base refuses what it cannot use, in one line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'base-'));
  try {
    await assert.rejects(loadBase(join(dir, 'missing.json')), (e: Error) => e instanceof UserError && /no such file/.test(e.message));
    writeFileSync(join(dir, 'graph.json'), JSON.stringify({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] }));
    await assert.rejects(loadBase(join(dir, 'graph.json')), (e: Error) => e instanceof UserError && /graph model has no layers/.test(e.message));
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['gone.bin'], weights: [] }] }));
    await assert.rejects(loadBase(dir), (e: Error) => e instanceof UserError && /gone\.bin: weights file named in model\.json is missing/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
