/**
 * `fmnist export` as a user runs it (a child process, so whatever HDF5 prints straight to fd 1/2
 * would show): on a full disk and into a read-only folder, exit 2, one line naming the target and
 * what to do, and no file — not even a partial one — at the target path; a trained run as ONNX,
 * run by ONNX Runtime on the whole test set.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { initBackend } from '../../backend/select.ts';
import { parseTrainConfig } from '../../config.ts';
import { loadFashionMnist } from '../../data/dataset.ts';
import { fillBatch, normalizationFor } from '../../data/preprocess.ts';
import { CLASS_NAMES } from '../../data/source.ts';
import { computeMetrics } from '../../evaluate/metrics.ts';
import { predictProbabilities } from '../../models/predict.ts';
import { loadModel, readModelMetadata, saveModel } from '../../store/model_io.ts';
import { train } from '../../train/train.ts';

const BIN = resolve(import.meta.dirname, '../../../bin/fmnist.js');
const isRoot = process.getuid?.() === 0;

/** A tmpfs of `size` at a new folder (root only); undefined when it cannot be mounted. */
function mountTmpfs(options: string): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

function unmount(dir: string): void {
  try { execFileSync('umount', [dir], { stdio: 'ignore' }); } finally { rmSync(dir, { recursive: true, force: true }); }
}

/** A saved model of ~330 KB of weights (more than the 200 KB disk below). */
async function savedModel(dir: string): Promise<string> {
  await tf.setBackend('cpu');
  const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [784], units: 100, name: 'hidden' }), tf.layers.dense({ units: 10, name: 'out' })] });
  const out = join(dir, 'model');
  await saveModel(m, out);
  m.dispose();
  return out;
}

function fmnist(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, '--backend', 'cpu', ...args], { encoding: 'utf8', env: { ...process.env, FMNIST_DB: '/nonexistent-fmnist-test/x.db' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const skip = isRoot ? false : 'needs root to mount a tmpfs';

test('export to a full disk: exit 2, one line naming the file and what to do, no file left', { skip }, async (t) => {
  const disk = mountTmpfs('size=200k');
  if (!disk) return t.skip('cannot mount a tmpfs here');
  const work = mkdtempSync(join(tmpdir(), 'export-enospc-'));
  try {
    const model = await savedModel(work);
    const target = join(disk, 'model.h5');
    const r = fmnist('export', model, '--format', 'keras-h5', '--out', target);
    assert.equal(r.code, 2, r.err);
    assert.doesNotMatch(r.err + r.out, /HDF5-DIAG|this is a bug/);
    const lines = r.err.trim().split('\n').filter((l) => !l.startsWith('backend:'));
    assert.deepEqual(lines, [`fmnist: ${target}: no space left on the device; free some space or write somewhere else (ENOSPC)`]);
    assert.equal(existsSync(target), false);
    assert.deepEqual(readdirSync(disk), [], 'no temp file left on the full disk');
    // ONNX goes through the same atomic write.
    const onnx = fmnist('export', model, '--format', 'onnx', '--out', join(disk, 'model.onnx'));
    assert.equal(onnx.code, 2, onnx.err);
    const onnxLines = onnx.err.trim().split('\n').filter((l) => !l.startsWith('backend:'));
    const full = 'no space left on the device; free some space or write somewhere else (ENOSPC)';
    assert.deepEqual(onnxLines, [`fmnist: ${join(disk, 'model.onnx')}: ${full}`]);
    assert.deepEqual(readdirSync(disk), []);
  } finally {
    unmount(disk);
    rmSync(work, { recursive: true, force: true });
  }
});

test('export into a read-only folder: exit 2, one line, no HDF5 noise', { skip }, async (t) => {
  const disk = mountTmpfs('size=1m,ro');
  if (!disk) return t.skip('cannot mount a tmpfs here');
  const work = mkdtempSync(join(tmpdir(), 'export-erofs-'));
  try {
    const model = await savedModel(work);
    const target = join(disk, 'model.h5');
    const r = fmnist('export', model, '--format', 'keras-h5', '--out', target);
    assert.equal(r.code, 2, r.err);
    assert.doesNotMatch(r.err + r.out, /HDF5-DIAG|this is a bug|name not defined/);
    const lines = r.err.trim().split('\n').filter((l) => !l.startsWith('backend:'));
    assert.deepEqual(lines, [`fmnist: ${target}: read-only file system; write somewhere else (EROFS)`]);
    assert.equal(existsSync(target), false);
  } finally {
    unmount(disk);
    rmSync(work, { recursive: true, force: true });
  }
});

test('export into a folder that is a file: exit 2, one line', async () => {
  const work = mkdtempSync(join(tmpdir(), 'export-enotdir-'));
  try {
    const model = await savedModel(work);
    mkdirSync(join(work, 'dir.h5'));
    const r = fmnist('export', model, '--format', 'keras-h5', '--out', join(work, 'dir.h5'));
    assert.equal(r.code, 2, r.err);
    assert.doesNotMatch(r.err, /HDF5-DIAG|this is a bug/);
    assert.match(r.err, new RegExp(`fmnist: ${join(work, 'dir.h5')}: is a folder where a file was expected`));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('a trained LeNet-5 as ONNX: ONNX Runtime gives our probabilities on all test images, same accuracy', async () => {
  const work = mkdtempSync(join(tmpdir(), 'export-onnx-'));
  try {
    await initBackend('native').catch(() => initBackend('cpu'));
    const data = loadFashionMnist();
    const run = join(work, 'run');
    await train({ config: parseTrainConfig({ limit: 2000, epochs: 1, batchSize: 64 }), outDir: run, data });
    const r = fmnist('export', run, '--format', 'onnx');
    assert.equal(r.code, 0, r.err);
    const io = `input 'image' \\[N,28,28,1\\] pixel/255, output 'probabilities' \\[N,10\\]`;
    const file = join(run, 'model.onnx');
    assert.match(r.out, new RegExp(`^wrote the model as ONNX \\(opset 13\\): .* ${io} → ${file}\\n$`));

    const all = Int32Array.from({ length: data.test.count }, (_, i) => i);
    const x = new Float32Array(all.length * 784);
    fillBatch(data.test.images, all, x, { kind: 'unit', mean: 0, std: 1 });
    const session = await ort.InferenceSession.create(file);
    const image = new ort.Tensor('float32', x, [all.length, 28, 28, 1]);
    const got = (await session.run({ image })).probabilities.data as Float32Array;
    const model = await loadModel(run);
    const want = predictProbabilities(model, data.test.images, all, normalizationFor(readModelMetadata(run)));
    model.dispose();
    assert.ok(Math.max(...Array.from(got, (v, i) => Math.abs(v - want[i]))) <= 1e-4);
    const [ours, onnx] = [want, got].map((p) => computeMetrics(p, data.test.labels, CLASS_NAMES).accuracy);
    assert.equal(onnx, ours);
    assert.ok(ours > 0.5, `a trained model (test accuracy ${ours})`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('export: an unknown format, --weights-only with onnx, a layer ONNX lacks: exit 2, one line, no file', async () => {
  const work = mkdtempSync(join(tmpdir(), 'export-bad-'));
  try {
    const model = await savedModel(work);
    const format = fmnist('export', model, '--format', 'tflite');
    assert.equal(format.code, 2);
    assert.match(format.err, /^fmnist: --format must be keras-h5 or onnx, got 'tflite'$/m);
    const weights = fmnist('export', model, '--format', 'onnx', '--weights-only');
    assert.equal(weights.code, 2);
    assert.match(weights.err, /^fmnist: --weights-only is for --format keras-h5; /m);

    await tf.setBackend('cpu');
    const input = tf.input({ shape: [28, 28, 1] });
    const up = tf.layers.upSampling2d({ size: [2, 2], name: 'up' }).apply(input) as tf.SymbolicTensor;
    const flat = tf.layers.flatten().apply(up);
    const out = tf.layers.dense({ units: 10, activation: 'softmax', name: 'out' }).apply(flat) as tf.SymbolicTensor;
    await saveModel(tf.model({ inputs: input, outputs: out }), join(work, 'up'));
    const r = fmnist('export', join(work, 'up'), '--format', 'onnx');
    assert.equal(r.code, 2, r.err);
    const lines = r.err.trim().split('\n').filter((l) => !l.startsWith('backend:'));
    assert.equal(lines.length, 1, r.err);
    assert.match(lines[0], /^fmnist: layer 'up' \(UpSampling2D\) has no ONNX mapping here; ONNX export supports /);
    assert.equal(existsSync(join(work, 'up', 'model.onnx')), false);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
