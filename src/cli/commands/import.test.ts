import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { main } from '../main.ts';
import { loadFashionMnist } from '../../data/dataset.ts';
import { DEBIAN_DIR, fileIn } from '../../data/source.ts';
import { KERAS_H5_DIR as FIXTURES } from '../../../test/fixtures/index.ts';


/** Run `fmnist ARGS` in this process; what it printed and its exit code. */
async function fmnist(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const write = { out: process.stdout.write, err: process.stderr.write };
  // Only text is ours: under `node --test` the runner itself reports through stdout in binary.
  const capture = (into: string[], real: typeof process.stdout.write, stream: NodeJS.WriteStream) =>
    ((s: string | Uint8Array, ...rest: unknown[]) => {
      if (typeof s === 'string') { into.push(s); return true; }
      return (real as (...a: unknown[]) => boolean).call(stream, s, ...rest);
    }) as typeof process.stdout.write;
  process.stdout.write = capture(out, write.out, process.stdout);
  process.stderr.write = capture(err, write.err, process.stderr);
  try {
    const code = await main(['--backend', 'cpu', ...args]);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

test('fmnist import → export --format keras-h5 → import again, with the input scaling recorded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-import-'));
  try {
    const a = await fmnist('--json', 'import', join(FIXTURES, 'keras2.1.6-fashion-mnist-cnn-model.h5'), '--out', join(dir, 'a'));
    assert.equal(a.code, 0, a.err);
    const r = JSON.parse(a.out);
    assert.deepEqual([r.kerasVersion, r.params, r.weights.assigned, r.inputScale, r.softmaxOutput], ['2.1.6', 250_478, 22, 'unit', true]);
    const meta = JSON.parse(readFileSync(join(dir, 'a', 'model.json'), 'utf8')).userDefinedMetadata;
    assert.equal(meta.inputScale, 'unit');
    assert.equal(meta.source.format, 'keras-h5');
    assert.equal(meta.classNames.length, 10);

    const e = await fmnist('--json', 'export', join(dir, 'a'), '--format', 'keras-h5');
    assert.equal(e.code, 0, e.err);
    assert.equal(JSON.parse(e.out).path, join(dir, 'a', 'model.h5'));
    assert.ok(existsSync(join(dir, 'a', 'model.h5')));

    const b = await fmnist('import', join(dir, 'a', 'model.h5'), '--out', join(dir, 'b'), '--input-scale', 'raw');
    assert.equal(b.code, 0, b.err);
    assert.match(b.out, /18 layers, 250,478 parameters, 22 weight tensors/);
    const metaB = JSON.parse(readFileSync(join(dir, 'b', 'model.json'), 'utf8')).userDefinedMetadata;
    assert.deepEqual([metaB.inputScale, metaB.normalization.std], ['raw', 1 / 255]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fmnist import/export: mistakes are one line and a non-zero exit', async () => {
  const w = await fmnist('import', join(FIXTURES, 'keras2.5-cnn-weights.h5'), '--out', join(tmpdir(), 'never-written'));
  assert.equal(w.code, 2);
  assert.match(w.err, /^backend: .*\nfmnist: keras2\.5-cnn-weights\.h5: a weights-only file \(no model_config\)[^\n]*\n$/);
  const s = await fmnist('import', join(FIXTURES, 'keras2.5-cnn-model.h5'), '--out', join(tmpdir(), 'never-written'), '--input-scale', 'fancy');
  assert.equal(s.code, 2);
  assert.match(s.err, /--input-scale must be raw, unit or standard, got 'fancy'/);
  const f = await fmnist('export', tmpdir(), '--format', 'tflite');
  assert.equal(f.code, 2);
  assert.match(f.err, /--format must be keras-h5 or onnx, got 'tflite'/);
  assert.equal(existsSync(join(tmpdir(), 'never-written')), false);
});

const DATA_DIR = process.env.FMNIST_DATA_DIR ?? DEBIAN_DIR;
const haveData = !!fileIn(DATA_DIR, 't10k-images-idx3-ubyte');

test('fmnist evaluate and predict take a model without a channel axis (TensorFlow\'s tutorial, input [null,28,28])', { skip: haveData ? false : `no Fashion-MNIST test set in ${DATA_DIR}` }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-import-flatten-'));
  try {
    const i = await fmnist('--json', 'import', join(FIXTURES, 'tf-tutorial-flatten-28x28-model.h5'), '--out', join(dir, 'm'));
    assert.equal(i.code, 0, i.err);
    assert.deepEqual(JSON.parse(i.out).inputShape, [null, 28, 28]);
    // Once: "expected flatten_input to have 3 dimension(s), but got array with shape [500,28,28,1]".
    const e = await fmnist('--json', '--data-dir', DATA_DIR, 'evaluate', join(dir, 'm'));
    assert.equal(e.code, 0, e.err);
    const acc = JSON.parse(e.out).accuracy;
    assert.ok(Math.abs(acc - 0.8607) <= 0.001, `accuracy ${acc}; test/fixtures/make_flatten_model.py computed 0.8607 in numpy`);
    // Test image 0, an ankle boot, as a PNG.
    const png = join(dir, 'boot.png');
    const test0 = loadFashionMnist({ dataDir: DATA_DIR, splits: ['test'] }).test.images.subarray(0, 784);
    await sharp(Buffer.from(test0), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(png);
    const p = await fmnist('--json', 'predict', join(dir, 'm'), png, '--top', '2');
    assert.equal(p.code, 0, p.err);
    const [r] = JSON.parse(p.out);
    assert.equal(r.top.length, 2);
    assert.equal(r.top[0].className, 'Ankle boot');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fmnist import --out over an existing run folder (or any non-empty folder) is refused and changes nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-import-existing-'));
  try {
    const run = join(dir, 'run');
    mkdirSync(run);
    const files = { 'run.json': '{"status":"done"}\n', 'checkpoint.json': '{"epoch":1}\n', 'model.json': '{"lenet":true}\n' };
    for (const [f, text] of Object.entries(files)) writeFileSync(join(run, f), text);
    const r = await fmnist('import', join(FIXTURES, 'keras2.5-cnn-model.h5'), '--out', run);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, new RegExp(`fmnist: --out ${run} already exists and holds a training run; import never overwrites a folder: choose another --out[^\\n]*\\n$`));
    assert.deepEqual(readdirSync(run).sort(), Object.keys(files).sort(), 'nothing added (no lock left behind)');
    for (const [f, text] of Object.entries(files)) assert.equal(readFileSync(join(run, f), 'utf8'), text, f);
    // A folder with just a model is refused too; an empty one is fine.
    const m = await fmnist('import', join(FIXTURES, 'keras2.5-cnn-model.h5'), '--out', join(dir, 'empty'));
    assert.equal(m.code, 0, m.err);
    const again = await fmnist('import', join(FIXTURES, 'keras2.5-cnn-model.h5'), '--out', join(dir, 'empty'));
    assert.equal(again.code, 2);
    assert.match(again.err, /already exists and holds a model/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
