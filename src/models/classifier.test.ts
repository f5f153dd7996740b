import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseTrainConfig } from '../config.ts';
import { readLayersModelArtifacts, saveModel } from '../store/model_io.ts';
import { savedBase } from '../../test/fixtures/small_base.ts';
import { assertClose } from '../backend/testing.ts';
import { UserError } from '../util/errors.ts';
import { buildClassifier, preprocessAffine, setTrainable } from './classifier.ts';

tf.env().set('PROD', true);
await tf.setBackend('cpu');

test('Keras preprocess_input modes as affine maps of [0,1] pixels', () => {
  const at = (mode: Parameters<typeof preprocessAffine>[0], c: number, v: number) => { const [s, o] = preprocessAffine(mode, c); return s * v + o; };
  assert.equal(at('tf', 0, 0), -1);
  assert.equal(at('tf', 0, 1), 1);
  assert.ok(Math.abs(at('caffe', 0, 1) - (255 - 103.939)) < 1e-9, 'caffe: channel 0 is blue after the BGR flip');
  assert.ok(Math.abs(at('caffe', 2, 0) + 123.68) < 1e-9);
  assert.ok(Math.abs(at('torch', 1, 0.456)) < 1e-9);
  assert.equal(at('none', 0, 1), 255);
  assert.equal(at('unit', 2, 0.5), 0.5);
});

test('a classifier on a base: its layers by name under a new head, preprocessing inside, loadable by plain tf.loadLayersModel', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'clf-'));
  try {
    await savedBase(join(dir, 'base'));
    const cfg = parseTrainConfig({ base: join(dir, 'base'), mode: 'finetune', inputSize: 32, preprocess: 'tf', epochs: 3 });
    const c = await buildClassifier(cfg);
    assert.equal(c.base.cut, 'block2_relu', 'cut below the base\'s own pooling and head');
    const names = c.model.layers.map((l) => l.name);
    assert.deepEqual(names, ['image', 'to_rgb', 'block1_conv', 'block1_bn', 'block1_relu', 'block2_conv', 'block2_bn', 'block2_relu', 'head_pool', 'head_dropout', 'logits', 'predictions']);
    assert.deepEqual(c.model.inputs[0].shape, [null, 32, 32, 1]);
    // to_rgb: grey [0,1] → three channels in [-1, 1] ('tf' mode)
    const rgb = tf.model({ inputs: c.model.inputs, outputs: c.model.getLayer('to_rgb').output as tf.SymbolicTensor });
    assertClose((rgb.predict(tf.fill([1, 32, 32, 1], 0.75)) as tf.Tensor).dataSync().slice(0, 3), [0.5, 0.5, 0.5]);

    // The saved classifier is standard tfjs layers: plain tf.loadLayersModel gives the same outputs.
    const x = tf.randomUniform([3, 32, 32, 1], 0, 1, 'float32', 7);
    await saveModel(c.model, join(dir, 'clf'));
    const plain = await tf.loadLayersModel(tf.io.fromMemory(readLayersModelArtifacts(join(dir, 'clf', 'model.json'))));
    assertClose((plain.predict(x) as tf.Tensor).dataSync(), (c.model.predict(x) as tf.Tensor).dataSync());

    // Trainability by phase, by layer name.
    const trained = () => c.model.trainableWeights.map((w) => w.originalName ?? w.name);
    assert.equal(setTrainable(c, 'head', null), 0);
    assert.deepEqual(trained(), ['logits/kernel', 'logits/bias']);
    assert.equal(setTrainable(c, 'finetune', 'block2'), 3, 'block2_conv, block2_bn, block2_relu');
    assert.deepEqual(trained().filter((n) => n.startsWith('block1')), []);
    assert.ok(trained().includes('block2_conv/kernel') && trained().includes('block2_bn/gamma'));
    assert.equal(setTrainable(c, 'finetune', null), 6, 'the whole base');
    assert.ok(!trained().some((n) => n.startsWith('to_rgb')), 'the preprocessing never trains');
    assert.throws(() => setTrainable(c, 'finetune', 'block9'), (e: Error) => e instanceof UserError && /no layer of .* is named 'block9…'/.test(e.message));
    c.model.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('transfer settings are checked together, in one line', () => {
  assert.throws(() => parseTrainConfig({ inputSize: 64 }), (e: Error) => e instanceof UserError && /'inputSize' needs a pretrained 'base'/.test(e.message));
  assert.throws(() => parseTrainConfig({ base: 'vgg16', mode: 'scratch', weights: 'imagenet' }), (e: Error) => e instanceof UserError && /drop 'weights'/.test(e.message));
  assert.throws(() => parseTrainConfig({ base: 'vgg16', mode: 'finetune', epochs: 2, headEpochs: 2 }), (e: Error) => e instanceof UserError && /more epochs/.test(e.message));
  assert.throws(() => parseTrainConfig({ base: 'vgg16', normalize: 'standard' }), (e: Error) => e instanceof UserError && /normalize/.test(e.message));
  assert.throws(() => parseTrainConfig({ base: 'vgg16', inputSize: 16 }), UserError);
  assert.throws(() => parseTrainConfig({ base: 'vgg16', model: 'mobilenet' }), (e: Error) => e instanceof UserError && /architecture is its base/.test(e.message));
});
