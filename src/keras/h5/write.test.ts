import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKerasH5 } from './write.ts';
import { withKerasH5 } from './read.ts';
import { h5pyPython, pythonCheck } from './python_check.ts';

const PY = h5pyPython();
const layers = [
  { name: 'conv', weights: [
    { name: 'conv/kernel:0', shape: [3, 3, 1, 2], values: Float32Array.from({ length: 18 }, (_, i) => i / 10) },
    { name: 'conv/bias:0', shape: [2], values: Float32Array.of(0.5, -0.5) },
  ] },
  { name: 'flatten', weights: [] },
  { name: 'count_holder', weights: [{ name: 'count_holder/count:0', shape: [], values: Float32Array.of(7) }] },
];

test('writes the Keras layout (weights only and full model) that our reader and h5py read back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'h5write-'));
  try {
    const weightsFile = join(dir, 'w.h5');
    await writeKerasH5(weightsFile, { kerasVersion: 'tfjs-layers 4.22.0', layers });
    const modelFile = join(dir, 'sub', 'm.h5');
    const modelConfig = { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Conv2D', config: { name: 'conv' } }, { class_name: 'Flatten', config: { name: 'flatten' } }, { class_name: 'Normalization', config: { name: 'count_holder' } }] } };
    await writeKerasH5(modelFile, { kerasVersion: 'tfjs-layers 4.22.0', modelConfig, layers });
    assert.deepEqual(readdirSync(dir).sort(), ['sub', 'w.h5'], 'no temp files left');
    for (const f of [weightsFile, modelFile]) {
      await withKerasH5(f, (h) => {
        assert.equal(h.kerasVersion, 'tfjs-layers 4.22.0');
        assert.deepEqual(h.layers.map((l) => [l.name, l.weights.map((w) => [w.name, w.shape])]), layers.map((l) => [l.name, l.weights.map((w) => [w.name, w.shape])]));
        assert.deepEqual(Array.from(h.layers[0].weights[0].read()), Array.from(layers[0].weights[0].values));
        assert.deepEqual(Array.from(h.layers[2].weights[0].read()), [7]);
        assert.equal(h.modelConfig !== null, f === modelFile);
      });
    }
    if (PY) {
      for (const f of [weightsFile, modelFile]) {
        const r = pythonCheck(PY, f);
        assert.deepEqual(r.problems, []);
        assert.equal(r.tensors, 3);
        assert.equal(r.values, 21);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed write leaves nothing behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'h5write-'));
  try {
    const f = join(dir, 'bad.h5');
    const bad = [{ name: 'x', weights: [{ name: 'x/k:0', shape: [2, 2], values: Float32Array.of(1) }] }];
    await assert.rejects(writeKerasH5(f, { kerasVersion: 'x', layers: bad }));
    assert.equal(existsSync(f), false);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
