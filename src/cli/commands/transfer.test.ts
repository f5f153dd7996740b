/**
 * `fmnist transfer` as a user runs it, from the repository root: the issue's exact command on Keras'
 * own ImageNet MobileNet 0.25 file, then `fmnist evaluate` and `fmnist predict` on what it saved,
 * the feature cache on a second run, and bad input refused in one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { loadFashionMnist } from '../../data/dataset.ts';

const run = promisify(execFile);
const fmnist = (env: NodeJS.ProcessEnv, ...args: string[]) =>
  run(process.execPath, ['bin/fmnist.js', ...args], { maxBuffer: 64 << 20, env: { ...process.env, ...env } }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

test('fmnist transfer --base mobilenet --weights <Keras file> --input-size 32 --mode features --limit 5000: a model fmnist evaluate and predict read', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmnist-transfer-'));
  const env = { FMNIST_CACHE_DIR: join(dir, 'cache'), FMNIST_DB: join(dir, 'runs.db') };
  try {
    const out = join(dir, 'run');
    const args = ['transfer', '--base', 'mobilenet', '--weights', 'test/fixtures/keras-h5/mobilenet_2_5_224_tf_no_top.h5', '--input-size', '32', '--mode', 'features', '--limit', '5000'];
    const first = await fmnist(env, ...args, '--out', out);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /training mobilenet \(features, 32x32\)/);
    assert.match(first.stderr, /features of 5000 images computed and cached/);
    const runJson = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { config: Record<string, unknown> };
    assert.equal(runJson.config.base, 'mobilenet');
    assert.match(String(runJson.config.weights), /^\/.*mobilenet_2_5_224_tf_no_top\.h5$/, 'the weights file recorded by absolute path');

    const ev = await fmnist(env, '--json', 'evaluate', out);
    assert.equal(ev.code, 0, ev.stderr);
    const acc = (JSON.parse(ev.stdout) as { accuracy: number }).accuracy;
    // A 1x1 final feature map at 32x32 gives weak features (the "tiny inputs" cause), but far above chance.
    assert.ok(acc > 0.3 && acc < 1, `test accuracy ${acc}`);

    // predict takes a 28x28 PNG of a test image, as for any model: same preprocessing path.
    const data = loadFashionMnist({ splits: ['test'] });
    const png = join(dir, 'item.png');
    await sharp(Buffer.from(data.test.images.subarray(0, 784)), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(png);
    const pr = await fmnist(env, '--json', 'predict', out, png);
    assert.equal(pr.code, 0, pr.stderr);
    const top = (JSON.parse(pr.stdout) as { top: { className: string; probability: number }[] }[])[0].top;
    assert.equal(top.length, 3);
    assert.ok(top[0].probability >= top[1].probability && top[0].probability <= 1, 'top classes with probabilities, best first');

    // Another head on the same base, size and images: the features come from the cache.
    const second = await fmnist(env, ...args, '--epochs', '2', '--out', join(dir, 'again'));
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /features of 5000 images read from the cache/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fmnist transfer refuses bad input in one line, exit 2, no stack trace', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmnist-transfer-bad-'));
  try {
    const cases: [string[], RegExp][] = [
      [['transfer'], /give --base NAME/],
      [['transfer', '--base', 'nosuch'], /base 'nosuch': no such model or file/],
      [['transfer', '--base', 'lenet5'], /trains on 28x28 images itself/],
      [['transfer', '--base', 'mobilenet', '--input-size', '16'], /--input-size must be|at least 32|≥ 32/],
      [['transfer', '--base', 'mobilenet', '--mode', 'everything'], /--mode must be features, finetune or scratch/],
      [['transfer', '--base', 'nsfwjs:mobilenet_v2', '--weights', 'imagenet'], /brings its own weights/],
      [['transfer', '--base', 'mobilenet', '--mode', 'finetune', '--epochs', '2', '--head-epochs', '2'], /more epochs/],
      [['transfer', '--base', 'mobilenet', '--weights', join(dir, 'missing.h5'), '--limit', '100'], /missing\.h5/],
    ];
    for (const [args, message] of cases) {
      const r = await fmnist({ FMNIST_DB: join(dir, 'runs.db') }, ...args, '--out', join(dir, 'out'));
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    assert.ok(!existsSync(join(dir, 'out', 'model.json')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
