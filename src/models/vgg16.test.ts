import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { vgg16Graph, vgg16ImagenetFile } from './vgg16.ts';
import { modelSummary } from './summary.ts';
import { assertMatchesKeras } from './testdata/keras_reference.ts';
import { UserError } from '../util/errors.ts';

tf.env().set('PROD', true);
await tf.setBackend('cpu');

test('VGG16 with the top: Keras layer names, order, shapes and 138,357,544 parameters', () => {
  const m = vgg16Graph({ fastInit: true });
  assertMatchesKeras(m, 'vgg16');
  assert.equal(modelSummary(m).totalParams, 138_357_544);
  m.dispose();
});

test('VGG16 without the top: 14,714,688 parameters, any input size from 32, pooling as Keras names it', () => {
  const m = vgg16Graph({ includeTop: false, fastInit: true });
  assertMatchesKeras(m, 'vgg16_notop');
  assert.equal(modelSummary(m).totalParams, 14_714_688);
  m.dispose();
  const p = vgg16Graph({ includeTop: false, pooling: 'avg', inputShape: [64, 64, 3], fastInit: true });
  assertMatchesKeras(p, 'vgg16_notop_avg_64');
  p.dispose();
  const mx = vgg16Graph({ includeTop: false, pooling: 'max', inputShape: [32, 32, 3], fastInit: true });
  assert.equal(mx.layers[mx.layers.length - 1].name, 'global_max_pooling2d');
  assert.deepEqual(mx.outputs[0].shape, [null, 512]);
  mx.dispose();
});

test("VGG16 refuses what Keras refuses, in one line", () => {
  assert.throws(() => vgg16Graph({ includeTop: false, inputShape: [28, 28, 3] }), (e: Error) => e instanceof UserError && /at least 32x32/.test(e.message));
  assert.throws(() => vgg16Graph({ weights: 'imagenet', inputShape: [64, 64, 3] }), (e: Error) => e instanceof UserError && /224x224x3/.test(e.message));
  assert.throws(() => vgg16Graph({ weights: 'imagenet', classes: 10 }), (e: Error) => e instanceof UserError && /classes = 1000/.test(e.message));
  assert.throws(() => vgg16Graph({ includeTop: false, pooling: 'sum' as 'avg' }), UserError);
});

test("VGG16's ImageNet files are Keras' names, URLs and md5s", () => {
  assert.deepEqual(vgg16ImagenetFile(false), {
    fname: 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5',
    origin: 'https://storage.googleapis.com/tensorflow/keras-applications/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5',
    fileHash: '6d6bbae143d832006294945121d1f1fc',
  });
  assert.equal(vgg16ImagenetFile(true).fileHash, '64373286793e3c8b2b4e3219cbf3544b');
});
