import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { PREPROCESS_MODE } from './applications.ts';
import { EFFICIENTNET_VARIANTS } from './efficientnet.ts';
import { EFFICIENTNET_PARAMS, MOBILENET_ALPHAS } from './keras_applications.ts';
import { MODELS, buildModel } from './index.ts';
import { modelSummary } from './summary.ts';
import { kerasReference } from './testdata/keras_reference.ts';
import { UserError } from '../util/errors.ts';

tf.env().set('PROD', true);
await tf.setBackend('cpu');

async function totalParams(name: string, includeTop: boolean, extra: { alpha?: number } = {}): Promise<number> {
  const m = await buildModel(name, { includeTop, weights: null, fastInit: true, ...extra });
  try {
    return modelSummary(m).totalParams;
  } finally {
    m.dispose();
  }
}

// Keras' published totals (keras.io/api/applications, and model.count_params() of
// keras.applications.EfficientNetB0…B7 / MobileNet): with the top, and without it — which is the
// total less the classifier, a (top width)x1000 dense plus 1000 biases (EfficientNet's top width
// is 1280 scaled by the width coefficient: 1280, 1280, 1408, 1536, 1792, 2048, 2304, 2560).
const KERAS_EFFICIENTNET: Record<string, [number, number, number]> = {
  efficientnetb0: [5_330_571, 4_049_571, 1280],
  efficientnetb1: [7_856_239, 6_575_239, 1280],
  efficientnetb2: [9_177_569, 7_768_569, 1408],
  efficientnetb3: [12_320_535, 10_783_535, 1536],
  efficientnetb4: [19_466_823, 17_673_823, 1792],
  efficientnetb5: [30_562_527, 28_513_527, 2048],
  efficientnetb6: [43_265_143, 40_960_143, 2304],
  efficientnetb7: [66_658_687, 64_097_687, 2560],
};

test('the registry lists EfficientNetB0–B7, every variant the builder has', () => {
  assert.deepEqual(Object.keys(EFFICIENTNET_PARAMS), Object.keys(EFFICIENTNET_VARIANTS));
  for (const name of Object.keys(EFFICIENTNET_VARIANTS)) {
    assert.ok(MODELS[name], name);
    assert.equal(MODELS[name].fashionNative, false);
    assert.deepEqual(EFFICIENTNET_PARAMS[name as keyof typeof EFFICIENTNET_PARAMS], KERAS_EFFICIENTNET[name].slice(0, 2), `${name}: registry counts`);
  }
  for (const [name, [top, notop, width]] of Object.entries(KERAS_EFFICIENTNET)) assert.equal(top - notop, width * 1000 + 1000, `${name}: classifier`);
  assert.match(MODELS.efficientnetb7.description, /66,658,687 params with top, 64,097,687 without/);
});

test('EfficientNetB0–B7 built from the registry have Keras\' parameter counts (with and without the top)', async () => {
  // The cases the Keras-sources testdata lists agree with the published numbers.
  assert.equal(kerasReference('efficientnetb1').total, KERAS_EFFICIENTNET.efficientnetb1[0]);
  assert.equal(kerasReference('efficientnetb1_notop').total, KERAS_EFFICIENTNET.efficientnetb1[1]);
  assert.equal(kerasReference('efficientnetb0_notop').total, KERAS_EFFICIENTNET.efficientnetb0[1]);
  for (const [name, [top, notop]] of Object.entries(KERAS_EFFICIENTNET)) {
    assert.equal(await totalParams(name, true), top, `${name} with the top`);
    assert.equal(await totalParams(name, false), notop, `${name} without the top`);
  }
  const b7 = await buildModel('efficientnetb7', { includeTop: true, weights: null, fastInit: true });
  assert.equal(b7.name, 'efficientnetb7');
  assert.deepEqual(b7.inputs[0].shape, [null, 600, 600, 3]);
  assert.equal(b7.getLayer('top_conv').outputShape[3], 2560);
  assert.ok(b7.getLayer('block7d_project_bn'), 'B7 repeats the last stage 4 times (ceil(3.1 · 1))');
  b7.dispose();
});

test('the registry lists MobileNet at each width Keras has ImageNet weights for, with its parameter counts', async () => {
  assert.deepEqual(Object.values(MOBILENET_ALPHAS).map((v) => v.alpha), [0.25, 0.5, 0.75, 1.0]);
  // Cross-checks against the Keras-sources testdata and Keras' own files.
  assert.equal(kerasReference('mobilenet_0.25').total, MOBILENET_ALPHAS['mobilenet_0.25'].params[0]);
  assert.equal(kerasReference('mobilenet_0.25_notop').total, MOBILENET_ALPHAS['mobilenet_0.25'].params[1]);
  assert.equal(kerasReference('mobilenet_1.0_notop_avg_128').total, MOBILENET_ALPHAS['mobilenet_1.00'].params[1]);
  assert.equal(MOBILENET_ALPHAS['mobilenet_1.00'].params[0], 4_253_864); // keras.io: MobileNet, 4.3M
  for (const [name, { alpha, params: [top, notop] }] of Object.entries(MOBILENET_ALPHAS)) {
    assert.ok(MODELS[name], name);
    assert.equal(PREPROCESS_MODE[name], 'tf');
    assert.equal(await totalParams(name, true), top, `${name} with the top`);
    assert.equal(await totalParams(name, false), notop, `${name} without the top`);
    assert.equal(await totalParams('mobilenet', true, { alpha }), top, `mobilenet --alpha ${alpha}`);
    const m = await buildModel(name, { includeTop: true, weights: null, fastInit: true });
    assert.equal(m.name, `mobilenet_${alpha.toFixed(2)}_224`);
    m.dispose();
  }
  assert.equal(await totalParams('mobilenet_0.50', false, { alpha: 0.5 }), 829_536);
  await assert.rejects(buildModel('mobilenet_0.50', { alpha: 0.75 }), (e: Error) => e instanceof UserError && /use 'mobilenet' for --alpha 0.75/.test(e.message));
});

test('every ImageNet-style registry entry has a preprocessing mode', () => {
  for (const [name, entry] of Object.entries(MODELS)) if (!entry.fashionNative) assert.ok(PREPROCESS_MODE[name], `${name} has a preprocessing mode`);
});
