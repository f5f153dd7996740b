import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModel, readWeightFile, saveModel } from './model_io.ts';
import { UserError } from '../util/errors.ts';

tf.env().set('PROD', true);
await tf.setBackend('cpu');

async function saved(dir: string): Promise<string> {
  const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3, name: 'd' })] });
  const out = join(dir, 'model');
  await saveModel(m, out);
  m.dispose();
  return out;
}

const userError = (pattern: RegExp) => (e: Error) => {
  assert.ok(e instanceof UserError, `a UserError: ${e}`);
  assert.match(e.message, pattern);
  return true;
};

test('a weights.bin of the right size full of NaN is refused, naming the file and the weight', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'model-io-'));
  try {
    const model = await saved(dir);
    const wfile = join(model, 'weights.bin');
    const size = readFileSync(wfile).length;
    writeFileSync(wfile, Buffer.from(new Float32Array(size / 4).fill(NaN).buffer));
    await assert.rejects(loadModel(model), userError(new RegExp(`^${wfile}: weight 'd/kernel' holds NaN`)));
    const garbage = new Float32Array(size / 4).fill(1);
    garbage[13] = Infinity; // the bias, after the 12 kernel values
    writeFileSync(wfile, Buffer.from(garbage.buffer));
    await assert.rejects(loadModel(model), userError(new RegExp(`^${wfile}: weight 'd/bias' holds Infinity`)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a weights.bin of the wrong size is refused against the manifest, naming the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'model-io-'));
  try {
    const model = await saved(dir);
    const wfile = join(model, 'weights.bin');
    truncateSync(wfile, 20);
    await assert.rejects(loadModel(model), userError(new RegExp(`^${wfile}: 20 bytes, but model.json describes 60 \\(truncated`)));
    writeFileSync(wfile, Buffer.alloc(64));
    await assert.rejects(loadModel(model), userError(/64 bytes, but model.json describes 60 \(too long/));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readWeightFile (a checkpoint optimizer.bin): truncated or non-finite is one line naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'model-io-'));
  try {
    const specs: tf.io.WeightsManifestEntry[] = [{ name: 'iter', shape: [], dtype: 'float32' }, { name: 'm', shape: [2, 3], dtype: 'float32' }];
    const f = join(dir, 'optimizer.bin');
    writeFileSync(f, Buffer.from(Float32Array.of(7, 1, 2, 3, 4, 5, 6).buffer));
    const map = readWeightFile(f, specs, 'optimizer.json');
    assert.deepEqual(Array.from(map.m.dataSync()), [1, 2, 3, 4, 5, 6]);
    tf.dispose(Object.values(map));
    truncateSync(f, 10);
    assert.throws(() => readWeightFile(f, specs, 'optimizer.json'), userError(new RegExp(`^${f}: 10 bytes, but optimizer.json describes 28 \\(truncated`)));
    writeFileSync(f, Buffer.from(Float32Array.of(7, 1, 2, NaN, 4, 5, 6).buffer));
    assert.throws(() => readWeightFile(f, specs, 'optimizer.json'), userError(new RegExp(`^${f}: weight 'm' holds NaN \\(value 2 of 6\\)`)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
