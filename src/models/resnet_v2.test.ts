import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { RESNET_V2_VARIANTS, resnetV2Graph, resnetV2ImagenetFile } from './resnet_v2.ts';
import { modelSummary } from './summary.ts';
import { assertMatchesKeras } from './testdata/keras_reference.ts';

tf.env().set('PROD', true);
await tf.setBackend('cpu');

// ResNet152V2 is 60M parameters: each variant is built once, with zero init (fastInit).

test('ResNet152V2 with the top: Keras layer names, order, shapes and 60,380,648 parameters', () => {
  const m = resnetV2Graph('resnet152v2', { fastInit: true });
  assertMatchesKeras(m, 'resnet152v2');
  assert.equal(modelSummary(m).totalParams, 60_380_648);
  m.dispose();
});

test('ResNet152V2 without the top: 58,331,648 parameters', () => {
  const m = resnetV2Graph('resnet152v2', { includeTop: false, fastInit: true });
  assertMatchesKeras(m, 'resnet152v2_notop');
  assert.equal(modelSummary(m).totalParams, 58_331_648);
  // Keras' unnamed shortcut poolings keep Keras' automatic names.
  assert.deepEqual(m.layers.filter((l) => l.name.startsWith('max_pooling2d')).map((l) => l.name), ['max_pooling2d', 'max_pooling2d_1', 'max_pooling2d_2']);
  m.dispose();
});

test('ResNet152V2 at 32x32 with max pooling, and ResNet50V2 from the same table', () => {
  const m = resnetV2Graph('resnet152v2', { includeTop: false, pooling: 'max', inputShape: [32, 32, 3], fastInit: true });
  assertMatchesKeras(m, 'resnet152v2_notop_max_32');
  m.dispose();
  const r50 = resnetV2Graph('resnet50v2', { includeTop: false, fastInit: true });
  assertMatchesKeras(r50, 'resnet50v2_notop');
  r50.dispose();
});

test("ResNetV2's ImageNet files are Keras' names, URLs and md5s", () => {
  assert.deepEqual(resnetV2ImagenetFile('resnet152v2', false), {
    fname: 'resnet152v2_weights_tf_dim_ordering_tf_kernels_notop.h5',
    origin: 'https://storage.googleapis.com/tensorflow/keras-applications/resnet/resnet152v2_weights_tf_dim_ordering_tf_kernels_notop.h5',
    fileHash: 'ed17cf2e0169df9d443503ef94b23b33',
  });
  assert.equal(resnetV2ImagenetFile('resnet152v2', true).fileHash, 'a49b44d1979771252814e80f8ec446f9');
  assert.deepEqual(Object.keys(RESNET_V2_VARIANTS), ['resnet50v2', 'resnet101v2', 'resnet152v2']);
});
