import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { importKerasModel, kerasConfigToTfjs } from './import_model.ts';
import { loadKerasWeights } from './weights.ts';
import { withKerasH5 } from './h5/read.ts';
import { loadFashionMnist } from '../data/dataset.ts';
import { DEBIAN_DIR } from '../data/source.ts';
import { lossAndAccuracy, predictProbabilities } from '../models/predict.ts';
import { evaluateModel } from '../evaluate/evaluate.ts';
import { saveModel } from '../store/model_io.ts';
import { UserError } from '../util/errors.ts';
import { assertClose } from '../backend/testing.ts';
import { KERAS_H5_DIR as FIXTURES } from '../../test/fixtures/index.ts';

tf.env().set('PROD', true);
// Inference only: the wasm backend runs the 10,000 test images in seconds.
await tf.setBackend('wasm');

const DATA_DIR = process.env.FMNIST_DATA_DIR ?? DEBIAN_DIR;
const haveData = existsSync(join(DATA_DIR, 't10k-images-idx3-ubyte.gz')) || existsSync(join(DATA_DIR, 't10k-images-idx3-ubyte'));

test('the Keras 2.1.6 Fashion-MNIST CNN imports and scores 91.08% on the test set, as in Keras', { skip: haveData ? false : `no Fashion-MNIST test set in ${DATA_DIR}` }, async () => {
  const r = await importKerasModel(join(FIXTURES, 'keras2.1.6-fashion-mnist-cnn-model.h5'));
  assert.equal(r.kerasVersion, '2.1.6');
  assert.deepEqual([r.weights.assigned, r.weights.tensors, r.weights.values], [22, 22, 250_478]);
  assert.equal(r.softmaxOutput, true);
  assert.deepEqual(r.model.layers.map((l) => l.name).slice(0, 4), ['conv2d_1', 'batch_normalization_1', 'activation_1', 'max_pooling2d_1']);
  const data = loadFashionMnist({ dataDir: DATA_DIR, splits: ['test'] });
  const idx = Int32Array.from({ length: data.test.count }, (_, i) => i);
  const probs = predictProbabilities(r.model, data.test.images, idx, { kind: 'unit', mean: 0, std: 1 });
  const { acc } = lossAndAccuracy(probs, data.test.labels, idx);
  assert.equal(Math.round(acc * data.test.count), 9108, `accuracy ${(acc * 100).toFixed(2)}%`);
  r.model.dispose();
});

test('TensorFlow\'s tutorial model (Flatten(input_shape=(28, 28)), no channel axis) imports and evaluates to the accuracy Python computed', { skip: haveData ? false : `no Fashion-MNIST test set in ${DATA_DIR}` }, async () => {
  // Written by test/fixtures/make_flatten_model.py, which computed 86.07% (8,607 of 10,000) in numpy
  // from the weights in the file. Evaluated here the way `fmnist import` + `fmnist evaluate` do it.
  const r = await importKerasModel(join(FIXTURES, 'tf-tutorial-flatten-28x28-model.h5'));
  assert.deepEqual(r.model.inputs[0].shape, [null, 28, 28]);
  assert.deepEqual([r.weights.assigned, r.weights.values, r.softmaxOutput], [4, 101_770, true]);
  const dir = mkdtempSync(join(tmpdir(), 'import-flatten-'));
  try {
    await saveModel(r.model, dir, { inputScale: 'unit', normalization: { kind: 'unit', mean: 0, std: 1 } });
    r.model.dispose();
    const data = loadFashionMnist({ dataDir: DATA_DIR, splits: ['test'] });
    const report = await evaluateModel(dir, 'test', data, join(dir, 'eval'));
    assert.equal(report.count, 10_000);
    assert.ok(Math.abs(report.accuracy - 0.8607) <= 0.001, `accuracy ${(report.accuracy * 100).toFixed(2)}%, Python 86.07%`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Keras 3 (3.10) full model: the imported network computes what its weights say (checked by a plain-JS forward pass)', async () => {
  const file = join(FIXTURES, 'keras3.10-fashion-mnist-dense-model.h5');
  const r = await importKerasModel(file);
  assert.equal(r.kerasVersion, '3.10.0');
  assert.deepEqual(r.model.layers.map((l) => l.name), ['flatten_1', 'dense_3', 'dense_4', 'dense_5']);
  assert.deepEqual(r.model.inputs[0].shape, [null, 28, 28, 1]);
  const x = tf.randomUniform([3, 28, 28, 1], 0, 1, 'float32', 3);
  const got = (r.model.predict(x) as tf.Tensor).dataSync();
  // Reference: the same three dense layers in loops over the file's own numbers.
  const W = await withKerasH5(file, (h) => h.layers.filter((l) => l.weights.length).map((l) => l.weights.map((w) => ({ shape: w.shape, v: w.read() }))));
  const xs = x.dataSync();
  const want: number[] = [];
  for (let n = 0; n < 3; n++) {
    let a = Array.from(xs.subarray(n * 784, (n + 1) * 784));
    W.forEach(([k, b], li) => {
      const [inN, outN] = k.shape;
      const z = Array.from({ length: outN }, (_, j) => { let s = b.v[j]; for (let i = 0; i < inN; i++) s += a[i] * k.v[i * outN + j]; return s; });
      if (li < 2) a = z.map((v) => Math.max(0, v));
      else { const m = Math.max(...z); const e = z.map((v) => Math.exp(v - m)); const t = e.reduce((p, q) => p + q, 0); a = e.map((v) => v / t); }
    });
    want.push(...a);
  }
  assertClose(got, want, 1e-5, 1e-4);
  r.model.dispose();
});

test('Keras 2.5 full model (InputLayer, Activation and Dropout layers, variable-length names) imports; its weights-only twin loads into it', async () => {
  const r = await importKerasModel(join(FIXTURES, 'keras2.5-cnn-model.h5'));
  assert.deepEqual(r.model.layers.map((l) => l.name), ['conv2d', 'activation', 'conv2d_1', 'activation_1', 'max_pooling2d', 'dropout', 'flatten', 'dense', 'activation_2', 'dropout_1', 'dense_1', 'activation_3']);
  assert.equal(r.weights.assigned, 8);
  const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 5);
  const before = (r.model.predict(x) as tf.Tensor).dataSync();
  const w = await loadKerasWeights(r.model, join(FIXTURES, 'keras2.5-cnn-weights.h5'));
  assert.equal(w.assigned, 8);
  assertClose((r.model.predict(x) as tf.Tensor).dataSync(), before, 1e-6, 1e-6);
  r.model.dispose();
});

test('weights-only files and Python-only layers are refused in one line', async () => {
  await assert.rejects(importKerasModel(join(FIXTURES, 'mobilenet_2_5_224_tf_no_top.h5')),
    (e: Error) => e instanceof UserError && /^mobilenet_2_5_224_tf_no_top\.h5: a weights-only file \(no model_config\)/.test(e.message));
  assert.throws(() => kerasConfigToTfjs({ class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Lambda', config: { name: 'lambda', function: 'x' } }] } }),
    (e: Error) => e instanceof UserError && e.message === "layer 'lambda' is a Lambda, which tfjs cannot build (it runs Python code, which cannot be converted)");
});

test('a Keras 3 functional config (DTypePolicy, module keys, __keras_tensor__ inbound nodes) builds the same graph in tfjs', async () => {
  const dtype = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
  const init = { module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null }, registered_name: null };
  const t = (name: string, shape: (number | null)[]) => ({ class_name: '__keras_tensor__', config: { shape, dtype: 'float32', keras_history: [name, 0, 0] } });
  const dense = (name: string, activation: string) => ({
    module: 'keras.layers', class_name: 'Dense', registered_name: null, name, build_config: { input_shape: [null, 4] },
    config: { name, trainable: true, dtype, units: 3, activation, use_bias: true, kernel_initializer: init, bias_initializer: { module: 'keras.initializers', class_name: 'Zeros', config: {}, registered_name: null }, kernel_regularizer: { module: 'keras.regularizers', class_name: 'L2', config: { l2: 0.01 }, registered_name: null }, bias_regularizer: null, kernel_constraint: null, bias_constraint: null },
    inbound_nodes: [{ args: [t('input_layer', [null, 4])], kwargs: {} }],
  });
  const config = {
    module: 'keras', class_name: 'Functional', registered_name: 'Functional',
    config: {
      name: 'functional', trainable: true,
      layers: [
        { module: 'keras.layers', class_name: 'InputLayer', registered_name: null, name: 'input_layer', config: { batch_shape: [null, 4], dtype: 'float32', sparse: false, ragged: false, name: 'input_layer', optional: false }, inbound_nodes: [] },
        dense('dense', 'silu'),
        dense('dense_1', 'relu'),
        { module: 'keras.layers', class_name: 'Add', registered_name: null, name: 'add', config: { name: 'add', trainable: true, dtype }, inbound_nodes: [{ args: [[t('dense', [null, 3]), t('dense_1', [null, 3])]], kwargs: {} }] },
      ],
      input_layers: ['input_layer', 0, 0],
      output_layers: ['add', 0, 0],
    },
  };
  const topology = kerasConfigToTfjs(config);
  const model = await tf.models.modelFromJSON({ modelTopology: topology } as unknown as tf.io.ModelJSON);
  assert.deepEqual(model.layers.map((l) => l.name), ['input_layer', 'dense', 'dense_1', 'add']);
  assert.equal((model.getLayer('dense').getConfig() as { activation: string }).activation, 'swish');
  assert.deepEqual(model.outputs[0].shape, [null, 3]);
  model.dispose();
});
