import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { exportKerasH5 } from './export_model.ts';
import { importKerasModel } from './import_model.ts';
import { loadKerasWeights } from './weights.ts';
import { h5pyPython, pythonCheck } from './h5/python_check.ts';
import { efficientnet } from '../models/efficientnet.ts';
import { saveModel, loadModel } from '../store/model_io.ts';
import { assertClose } from '../backend/testing.ts';
import { KERAS_H5_DIR as FIXTURES } from '../../test/fixtures/index.ts';

tf.env().set('PROD', true);
await tf.setBackend('cpu');

const PY = h5pyPython();

test('import → save → load → export keras-h5 → Python-side layout check → import again: same network, same outputs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'export-'));
  try {
    const first = await importKerasModel(join(FIXTURES, 'keras2.1.6-fashion-mnist-cnn-model.h5'));
    await saveModel(first.model, join(dir, 'model'));
    const saved = await loadModel(join(dir, 'model'));
    const file = join(dir, 'model.h5');
    const r = await exportKerasH5(saved, file);
    assert.deepEqual([r.layers, r.tensors, r.values], [18, 22, 250_478]);
    if (PY) {
      const py = pythonCheck(PY, file);
      assert.deepEqual(py.problems, []);
      assert.equal(py.class_name, 'Sequential');
      assert.deepEqual(py.layers.map((l) => l.name), saved.layers.map((l) => l.name));
      assert.deepEqual(py.layers[1].weights.map((w) => w.name), ['batch_normalization_1/gamma:0', 'batch_normalization_1/beta:0', 'batch_normalization_1/moving_mean:0', 'batch_normalization_1/moving_variance:0']);
      assert.equal(py.values, 250_478);
    }
    const again = await importKerasModel(file);
    assert.deepEqual(again.model.layers.map((l) => l.name), first.model.layers.map((l) => l.name));
    const x = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 11);
    const want = (first.model.predict(x) as tf.Tensor).dataSync();
    assertClose((again.model.predict(x) as tf.Tensor).dataSync(), want, 1e-6, 1e-5);

    // Weights only, for model.load_weights in Python: same layout at the root.
    const wfile = join(dir, 'weights.h5');
    const w = await exportKerasH5(saved, wfile, { weightsOnly: true });
    assert.equal(w.weightsOnly, true);
    if (PY) assert.deepEqual(pythonCheck(PY, wfile).problems, []);
    const loaded = await loadKerasWeights(again.model, wfile);
    assert.equal(loaded.assigned, 22);
    for (const m of [first.model, saved, again.model]) m.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('custom layers (EfficientNet: Rescaling, Normalization, noise-shaped Dropout) round-trip through Keras HDF5', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'export-'));
  try {
    const model = await efficientnet('efficientnetb0', { includeTop: false, pooling: 'avg', inputShape: [32, 32, 3] });
    model.getLayer('normalization').setWeights([tf.tensor1d([120, 110, 100]), tf.tensor1d([3000, 2500, 2000]), tf.scalar(1000)]);
    const file = join(dir, 'effnet.h5');
    const r = await exportKerasH5(model, file);
    assert.equal(r.values, model.countParams());
    if (PY) {
      const py = pythonCheck(PY, file);
      assert.deepEqual(py.problems, []);
      assert.equal(py.class_name, 'Functional');
      assert.deepEqual(py.layers.find((l) => l.name === 'normalization')!.weights.map((w) => [w.name, w.shape]), [['normalization/mean:0', [3]], ['normalization/variance:0', [3]], ['normalization/count:0', []]]);
    }
    const again = await importKerasModel(file);
    assert.deepEqual(again.model.layers.map((l) => l.name), model.layers.map((l) => l.name));
    assert.deepEqual((again.model.getLayer('block2b_drop').getConfig() as { noiseShape: unknown }).noiseShape, [null, 1, 1, 1]);
    const x = tf.randomUniform([2, 32, 32, 3], 0, 255, 'float32', 2);
    assertClose((again.model.predict(x) as tf.Tensor).dataSync(), (model.predict(x) as tf.Tensor).dataSync(), 1e-5, 1e-4);
    model.dispose();
    again.model.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
