import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKerasH5 } from './write.ts';
import { hdf5Failure, withKerasH5 } from './read.ts';
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

test('a full disk is an ENOSPC error naming the target, and leaves no file (tmpfs, root only)', { skip: process.getuid?.() === 0 ? false : 'needs root to mount a tmpfs' }, async (t) => {
  const { execFileSync } = await import('node:child_process');
  const disk = mkdtempSync(join(tmpdir(), 'h5-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=200k', 'tmpfs', disk], { stdio: 'ignore' });
  } catch {
    rmSync(disk, { recursive: true, force: true });
    return t.skip('cannot mount a tmpfs here');
  }
  try {
    const target = join(disk, 'big.h5');
    const big = [{ name: 'd', weights: [{ name: 'd/kernel:0', shape: [300, 300], values: new Float32Array(90_000).fill(0.25) }] }];
    await assert.rejects(writeKerasH5(target, { kerasVersion: 'x', layers: big }), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'ENOSPC');
      assert.equal(err.path, target);
      return true;
    });
    assert.equal(existsSync(target), false);
    assert.deepEqual(readdirSync(disk), []);
  } finally {
    execFileSync('umount', [disk], { stdio: 'ignore' });
    rmSync(disk, { recursive: true, force: true });
  }
});

test('what HDF5 prints about a failed write becomes one error with its errno', () => {
  const diag = `HDF5-DIAG: Error detected in HDF5 (2.0.0):\n  #000: H5D.c line 1360 in H5Dwrite(): can't synchronously write data\n    major: Dataset\n  #011: H5FDsec2.c line 812 in H5FD__sec2_write(): file write failed: time = x\n, filename = '/d/x.h5', file descriptor = 3, errno = 51, error message = 'No space left on device', buf = 0x32fc80\n`;
  const err = hdf5Failure(diag, '/d/x.h5', 'writing') as NodeJS.ErrnoException;
  assert.equal(err.code, 'ENOSPC');
  assert.equal(err.path, '/d/x.h5');
  assert.equal(hdf5Failure('', '/d/x.h5', 'writing'), undefined);
  const other = hdf5Failure(`HDF5-DIAG: Error detected\n  #000: H5F.c line 1 in H5Fopen(): unable to open file\n  #001: H5Fint.c line 2 in H5F__super_read(): truncated file: eof = 3000, sblock->base_addr = 0\n`, '/d/y.h5', 'reading');
  assert.equal(other?.message, '/d/y.h5: reading failed: truncated file: eof = 3000');
});
