import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mobilenetGraph, mobilenetImagenetFile } from './mobilenet.ts';
import { assertMatchesKeras } from './testdata/keras_reference.ts';
import { UserError } from '../util/errors.ts';

tf.env().set('PROD', true);
await tf.setBackend('cpu');

test('MobileNet alpha 0.25, with and without the top: Keras layer names, order, shapes and parameters', () => {
  const top = mobilenetGraph({ alpha: 0.25, fastInit: true });
  assertMatchesKeras(top, 'mobilenet_0.25');
  assert.deepEqual(top.outputs[0].shape, [null, 1000]);
  top.dispose();
  const notop = mobilenetGraph({ alpha: 0.25, includeTop: false, fastInit: true });
  assertMatchesKeras(notop, 'mobilenet_0.25_notop');
  assert.equal(notop.countParams(), 218_544); // the values in Keras' mobilenet_2_5_224_tf_no_top.h5
  notop.dispose();
  const full = mobilenetGraph({ alpha: 1.0, includeTop: false, pooling: 'avg', inputShape: [128, 128, 3], fastInit: true });
  assertMatchesKeras(full, 'mobilenet_1.0_notop_avg_128');
  full.dispose();
});

test("MobileNet's ImageNet files: Keras' names per alpha and size (Keras pins no hash for them)", () => {
  assert.deepEqual(mobilenetImagenetFile(0.25, 224, false), {
    fname: 'mobilenet_2_5_224_tf_no_top.h5',
    origin: 'https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/mobilenet_2_5_224_tf_no_top.h5',
    fileHash: null,
  });
  assert.equal(mobilenetImagenetFile(1.0, 128, true).fname, 'mobilenet_1_0_128_tf.h5');
  assert.equal(mobilenetImagenetFile(0.5, 160, false).fname, 'mobilenet_5_0_160_tf_no_top.h5');
  assert.throws(() => mobilenetGraph({ alpha: 0.3, weights: 'imagenet' }), (e: Error) => e instanceof UserError && /alpha 0.25, 0.5, 0.75/.test(e.message));
});
