import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attrStrings, openKerasH5, withKerasH5 } from './read.ts';
import { UserError } from '../../util/errors.ts';
import { KERAS_H5_DIR as FIXTURES } from '../../../test/fixtures/index.ts';


/**
 * What h5py (Debian's python3-h5py, independent of h5wasm) reads from each real Keras file:
 * layer names, weight tensors, values, the sum of |values| over all tensors, and the first three
 * values of the first tensor.
 */
const EXPECTED = {
  'keras2.1.5-mnist-cnn-weights.h5': { version: '2.1.5', full: false, layers: 8, tensors: 10, values: 93_322, absSum: 5733.505698, first: ['conv2d_1', 'conv2d_1/kernel:0', [0.12648822367191315, 0.023767102509737015, 0.040861789137125015]] },
  'keras2.1.6-fashion-mnist-cnn-model.h5': { version: '2.1.6', full: true, layers: 18, tensors: 22, values: 250_478, absSum: 14342.121189, first: ['conv2d_1', 'conv2d_1/kernel:0', [0.0262837503105402, -0.17683322727680206, -0.09883570671081543]] },
  'keras2.5-cnn-model.h5': { version: '2.5.0', full: true, layers: 12, tensors: 8, values: 15_082, absSum: 2135.060384, first: ['conv2d', 'conv2d/kernel:0', [-0.36269932985305786, 0.3146851658821106, 0.46576187014579773]] },
  'keras2.5-cnn-weights.h5': { version: '2.5.0', full: false, layers: 12, tensors: 8, values: 15_082, absSum: 2135.060384, first: ['conv2d', 'conv2d/kernel:0', [-0.36269932985305786, 0.3146851658821106, 0.46576187014579773]] },
  'keras3.10-fashion-mnist-dense-model.h5': { version: '3.10.0', full: true, layers: 4, tensors: 6, values: 109_386, absSum: 7600.097635, first: ['dense_3', 'sequential_1/dense_3/kernel', [-0.06155230104923248, 0.27052655816078186, -0.05208440124988556]] },
  'mobilenet_2_5_224_tf_no_top.h5': { version: '2.0.4', full: false, layers: 83, tensors: 135, values: 218_544, absSum: 99448.069594, first: ['conv1', 'conv1/kernel:0', [0.6565709710121155, 0.4860647916793823, -7.381741306744516e-05]] },
} as const;

for (const [file, e] of Object.entries(EXPECTED)) {
  test(`reads ${file} (Keras ${e.version}) as h5py does`, async () => {
    await withKerasH5(join(FIXTURES, file), (h) => {
      assert.equal(h.kerasVersion, e.version);
      assert.equal(h.backend, 'tensorflow');
      assert.equal(h.modelConfig !== null, e.full);
      assert.equal(h.layers.length, e.layers);
      const weights = h.layers.flatMap((l) => l.weights.map((w) => ({ layer: l.name, w })));
      assert.equal(weights.length, e.tensors);
      let values = 0;
      let absSum = 0;
      for (const { w } of weights) {
        const v = w.read();
        assert.equal(v.length, w.shape.reduce((a, b) => a * b, 1), `${w.name}: values match the shape`);
        values += v.length;
        for (const x of v) absSum += Math.abs(x);
      }
      assert.equal(values, e.values);
      assert.ok(Math.abs(absSum - e.absSum) < 1e-3 * e.absSum * 1e-3 + 1e-2, `sum |w| ${absSum} vs h5py ${e.absSum}`);
      const [layer, name, head] = e.first;
      assert.equal(weights[0].layer, layer);
      assert.equal(weights[0].w.name, name);
      assert.deepEqual(Array.from(weights[0].w.read().slice(0, 3)), head);
    });
  });
}

test('every generation: fixed-length names (2.0/2.1), empty float64 weight_names (2.5), Keras 3 paths and top_level_model_weights', async () => {
  await withKerasH5(join(FIXTURES, 'keras2.1.5-mnist-cnn-weights.h5'), (h) => {
    assert.deepEqual(h.layers.map((l) => l.name), ['conv2d_1', 'max_pooling2d_1', 'conv2d_2', 'max_pooling2d_2', 'conv2d_3', 'flatten_1', 'dense_1', 'dense_2']);
    assert.deepEqual(h.layers[1].weights, []);
  });
  await withKerasH5(join(FIXTURES, 'keras2.5-cnn-weights.h5'), (h) => {
    assert.deepEqual(h.layers.find((l) => l.name === 'flatten')!.weights, []);
    assert.deepEqual(h.layers[0].weights.map((w) => [w.name, w.shape]), [['conv2d/kernel:0', [3, 3, 1, 32]], ['conv2d/bias:0', [32]]]);
  });
  await withKerasH5(join(FIXTURES, 'keras3.10-fashion-mnist-dense-model.h5'), (h) => {
    assert.deepEqual(h.layers.map((l) => l.name), ['flatten_1', 'dense_3', 'dense_4', 'dense_5']);
    assert.deepEqual(h.layers[1].weights.map((w) => [w.name, w.shape]), [['sequential_1/dense_3/kernel', [784, 128]], ['sequential_1/dense_3/bias', [128]]]);
    assert.deepEqual(h.topLevelWeights, []);
    assert.equal((h.modelConfig as { class_name: string }).class_name, 'Sequential');
  });
  await withKerasH5(join(FIXTURES, 'keras2.1.6-fashion-mnist-cnn-model.h5'), (h) => {
    assert.equal((h.trainingConfig as { loss: string }).loss, 'categorical_crossentropy');
  });
});

test('attribute values of every shape become string lists', () => {
  assert.deepEqual(attrStrings(['a\0\0', 'b']), ['a', 'b']);
  assert.deepEqual(attrStrings(new Float64Array(0)), []);
  assert.deepEqual(attrStrings('x'), ['x']);
  assert.deepEqual(attrStrings(new TextEncoder().encode('conv1\0')), ['conv1']);
  assert.deepEqual(attrStrings(null), []);
});

test('refuses what is not a Keras HDF5 file, naming it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'h5read-'));
  try {
    const junk = join(dir, 'junk.h5');
    writeFileSync(junk, 'not hdf5 at all');
    await assert.rejects(openKerasH5(junk), (e: Error) => e instanceof UserError && /junk\.h5: not an HDF5 file/.test(e.message));
    await assert.rejects(openKerasH5(join(dir, 'missing.h5')), (e: Error) => e instanceof UserError && /missing\.h5: no such file/.test(e.message));
    // A file that is HDF5 but not Keras (h5wasm writes one) is refused too.
    const { h5wasm } = await import('./read.ts');
    const lib = await h5wasm();
    const plain = join(dir, 'plain.h5');
    const f = new lib.File(plain, 'w');
    f.create_dataset({ name: 'x', data: new Float32Array([1, 2]) });
    f.close();
    await assert.rejects(openKerasH5(plain), (e: Error) => e instanceof UserError && /plain\.h5: not a Keras HDF5 file: no 'layer_names'/.test(e.message));
    // Fixtures stay untouched: copies only.
    copyFileSync(join(FIXTURES, 'keras2.5-cnn-weights.h5'), join(dir, 'copy.h5'));
    await withKerasH5(join(dir, 'copy.h5'), (h) => assert.equal(h.layers.length, 12));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a truncated .h5 is one UserError naming the file, and HDF5 prints nothing', async () => {
  const { readFileSync } = await import('node:fs');
  const { takeHdf5Diagnostics } = await import('./read.ts');
  const dir = mkdtempSync(join(tmpdir(), 'h5trunc-'));
  try {
    const whole = readFileSync(join(FIXTURES, 'keras2.1.6-fashion-mnist-cnn-model.h5'));
    for (const size of [3000, Math.floor(whole.length / 2)]) {
      const f = join(dir, `cut-${size}.h5`);
      writeFileSync(f, whole.subarray(0, size));
      await assert.rejects(
        withKerasH5(f, (h) => h.layers.flatMap((l) => l.weights.map((w) => w.read()))),
        (err: Error) => {
          assert.ok(err instanceof UserError, String(err));
          assert.match(err.message, new RegExp(`^${f}: .*(truncated|damaged)`));
          assert.doesNotMatch(err.message, /\n/);
          return true;
        },
      );
      assert.equal(takeHdf5Diagnostics(), '', 'every diagnostic was consumed, none printed');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
