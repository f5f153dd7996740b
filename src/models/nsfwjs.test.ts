import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { NSFWJS_MODELS, loadNsfwjsModel, readNsfwjsArtifacts } from './nsfwjs.ts';
import { loadBase } from './bases.ts';
import { UserError } from '../util/errors.ts';

tf.env().set('PROD', true);
await tf.setBackend('cpu');

test("nsfwjs' MobileNetV2 loads from the installed package, offline; cut at out_relu it is Keras' MobileNetV2 feature extractor", async () => {
  const whole = await loadNsfwjsModel('mobilenet_v2');
  assert.deepEqual(whole.inputs[0].shape, [null, 224, 224, 3]);
  assert.deepEqual(whole.outputs[0].shape, [null, 5]);
  assert.ok(whole.layers.some((l) => l.name === 'block_16_project_BN'), "Keras' MobileNetV2 layer names");
  whole.dispose();
  const base = await loadBase('nsfwjs:mobilenet_v2');
  assert.equal(base.cut, NSFWJS_MODELS.mobilenet_v2.features);
  assert.deepEqual(base.model.outputs[0].shape, [null, 7, 7, 1280]);
  assert.equal(base.model.countParams(), 2_257_984); // keras.applications.MobileNetV2(include_top=False)
  assert.equal(base.preprocess, 'unit');
  const y = base.model.predict(tf.fill([1, 224, 224, 3], 0.5)) as tf.Tensor;
  assert.ok(y.dataSync().every(Number.isFinite));
  base.model.dispose();
  // At another size the network is rebuilt up to the cut: nsfwjs' own head (pooling over a 7x7 map) is left out.
  const small = await loadBase('nsfwjs:mobilenet_v2', { inputSize: 96 });
  assert.deepEqual(small.model.outputs[0].shape, [null, 3, 3, 1280]);
  assert.equal(small.model.countParams(), 2_257_984, 'the same weights');
  small.model.dispose();
});

test("nsfwjs' InceptionV3 ships as a layers model too (read, not built: it is large)", () => {
  const a = readNsfwjsArtifacts('inception_v3');
  const topology = a.modelTopology as { model_config: { config: { layers: { name: string }[] } } };
  assert.ok(topology.model_config.config.layers.some((l) => l.name === 'mixed10'));
  assert.equal(a.weightSpecs!.length, 382);
  assert.ok((a.weightData as ArrayBuffer).byteLength > 20_000_000);
});

test('unknown nsfwjs names are refused in one line', async () => {
  await assert.rejects(loadNsfwjsModel('mobilenet_v2_mid'), (e: Error) => e instanceof UserError && e.message === "unknown nsfwjs model 'mobilenet_v2_mid': choose mobilenet_v2 or inception_v3");
});
