import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { PREPROCESS_MODE, correctPad, obtainInputShape, preprocessInput } from './applications.ts';
import { MODELS } from './index.ts';
import { UserError } from '../util/errors.ts';
import { assertClose } from '../backend/testing.ts';

tf.env().set('PROD', true);
await tf.setBackend('cpu');

test('obtainInputShape follows keras imagenet_utils.obtain_input_shape', () => {
  assert.deepEqual(obtainInputShape(undefined, 224, 32, true, null, 'm'), [224, 224, 3]);
  assert.deepEqual(obtainInputShape(undefined, 224, 32, false, null, 'm'), [null, null, 3]);
  assert.deepEqual(obtainInputShape([96, 64, 1], 224, 32, false, null, 'm'), [96, 64, 1]);
  assert.deepEqual(obtainInputShape(undefined, 240, 32, true, 'imagenet', 'm'), [240, 240, 3]);
  assert.throws(() => obtainInputShape([31, 64, 3], 224, 32, false, null, 'm'), (e: Error) => e instanceof UserError && e.message === 'm: input size must be at least 32x32, got 31x64');
  assert.throws(() => obtainInputShape([64, 64, 1], 224, 32, false, 'imagenet', 'm'), (e: Error) => e instanceof UserError && /3 input channels/.test(e.message));
});

test('correctPad is Keras correct_pad', () => {
  const even = tf.input({ shape: [224, 224, 3] });
  const odd = tf.input({ shape: [33, 33, 3] });
  const free = tf.input({ shape: [null, null, 3] });
  assert.deepEqual(correctPad(even, 3), [[0, 1], [0, 1]]);
  assert.deepEqual(correctPad(odd, 5), [[2, 2], [2, 2]]);
  assert.deepEqual(correctPad(free, 3), [[0, 1], [0, 1]]);
});

test("preprocessInput is Keras' preprocess_input (caffe, tf, torch, none)", () => {
  const x = tf.tensor4d([[[[255, 127.5, 0]]]]);
  assertClose(preprocessInput(x, 'tf').dataSync(), [1, 0, -1]);
  assertClose(preprocessInput(x, 'caffe').dataSync(), [0 - 103.939, 127.5 - 116.779, 255 - 123.68]);
  assertClose(preprocessInput(x, 'torch').dataSync(), [(1 - 0.485) / 0.229, (0.5 - 0.456) / 0.224, (0 - 0.406) / 0.225]);
  assertClose(preprocessInput(x, 'none').dataSync(), [255, 127.5, 0]);
  assert.equal(PREPROCESS_MODE.vgg16, 'caffe');
});

test('the registry builds every Keras application by name with the same options', async () => {
  for (const name of ['vgg16', 'resnet50v2', 'resnet101v2', 'resnet152v2', 'efficientnetb0', 'efficientnetb1', 'mobilenet']) {
    assert.ok(MODELS[name], name);
    assert.equal(MODELS[name].fashionNative, false);
    assert.ok(PREPROCESS_MODE[name], `${name} has a preprocessing mode`);
  }
  const m = await MODELS.mobilenet.build({ includeTop: false, pooling: 'max', inputShape: [32, 32, 3], alpha: 0.5, fastInit: true });
  assert.deepEqual(m.outputs[0].shape, [null, 512]);
  assert.equal(m.name, 'mobilenet_0.50_32');
  m.dispose();
  const e = await MODELS.efficientnetb1.build({ includeTop: true, classes: 10, inputShape: [64, 64, 3], classifierActivation: null, fastInit: true });
  assert.deepEqual(e.outputs[0].shape, [null, 10]);
  assert.equal((e.getLayer('predictions').getConfig() as { activation: string }).activation, 'linear');
  e.dispose();
  // --weights none: random initialisation, as Keras' weights=None.
  const r = await MODELS.mobilenet.build({ includeTop: false, alpha: 0.25, weights: 'none', inputShape: [32, 32, 3] });
  assert.ok(tf.sum(tf.abs(r.getLayer('conv1').getWeights()[0])).dataSync()[0] > 0);
  r.dispose();
});
