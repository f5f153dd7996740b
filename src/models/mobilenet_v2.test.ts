import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { MOBILENET_V2_ALPHAS, makeDivisible, mobilenetV2Graph, mobilenetV2ImagenetFile } from './mobilenet_v2.ts';
import { assertMatchesKeras } from './testdata/keras_reference.ts';
import { UserError } from '../util/errors.ts';

tf.env().set('PROD', true);
await tf.setBackend('cpu');

test('MobileNetV2 with and without the top, alpha 0.35 and 1.4: Keras layer names, order, shapes and parameters', () => {
  const cases: [string, Parameters<typeof mobilenetV2Graph>[0]][] = [
    ['mobilenetv2_1.0', {}],
    ['mobilenetv2_1.0_notop', { includeTop: false }],
    ['mobilenetv2_0.35_notop_avg_96', { alpha: 0.35, includeTop: false, pooling: 'avg', inputShape: [96, 96, 3] }],
    ['mobilenetv2_1.4_notop', { alpha: 1.4, includeTop: false }],
  ];
  for (const [key, opts] of cases) {
    const m = mobilenetV2Graph({ ...opts, fastInit: true });
    assertMatchesKeras(m, key);
    m.dispose();
  }
});

test('MobileNetV2 parameter table: every ImageNet width, with and without the top, as built', () => {
  for (const { alpha, params: [top, notop] } of Object.values(MOBILENET_V2_ALPHAS)) {
    for (const [includeTop, want] of [[true, top], [false, notop]] as const) {
      const m = mobilenetV2Graph({ alpha, includeTop, fastInit: true });
      assert.equal(m.countParams(), want, `alpha ${alpha}, top ${includeTop}`);
      m.dispose();
    }
  }
  assert.equal(MOBILENET_V2_ALPHAS['1'].params[0], 3_538_984); // keras.io: MobileNetV2, 3.5M
});

test("MobileNetV2's _make_divisible and ImageNet file names (Python's float(alpha); Keras pins no hash)", () => {
  assert.deepEqual([makeDivisible(32 * 0.35), makeDivisible(16 * 0.35), makeDivisible(1280 * 1.3), makeDivisible(24 * 0.75)], [16, 8, 1664, 24]);
  assert.deepEqual(mobilenetV2ImagenetFile(1.0, 224, false), {
    fname: 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5',
    origin: 'https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5',
    fileHash: null,
  });
  assert.equal(mobilenetV2ImagenetFile(0.35, 96, true).fname, 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96.h5');
  assert.throws(() => mobilenetV2Graph({ alpha: 0.3, weights: 'imagenet' }), (e: Error) => e instanceof UserError && /alpha 0.35, 0.5, 0.75/.test(e.message));
  const m = mobilenetV2Graph({ includeTop: false, inputShape: [32, 32, 3], fastInit: true });
  assert.deepEqual(m.outputs[0].shape, [null, 1, 1, 1280]); // stride 32
  m.dispose();
});
