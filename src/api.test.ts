/**
 * The library API as a user meets it: the package's own name resolves to the compiled façade with
 * its typings, and each script in examples/ runs against it on tiny data (a plain `node`, no tsx),
 * printing what it promises.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { loadFashionMnist } from './data/dataset.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'fmnist-api-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

before(() => {
  // The examples import 'fashion-mnist-lab', i.e. dist/: compile it when a source is newer.
  const r = spawnSync(process.execPath, [join(root, 'scripts/build.js')], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

function example(name: string, env: Record<string, string>, args: string[] = []): string {
  const r = spawnSync(process.execPath, [join(root, 'examples', name), ...args], {
    cwd: root, encoding: 'utf8', timeout: 240_000,
    env: { ...process.env, FMNIST_DB: join(tmp, 'runs.db'), FMNIST_THREADS: '2', ...env },
  });
  assert.equal(r.status, 0, `${name} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

test('the package name resolves to dist/api.js with declaration files beside it', () => {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e',
    "const api = await import('fashion-mnist-lab'); console.log(typeof api.trainRun, typeof api.openClassifier, api.CLASS_NAMES.length)"],
  { cwd: root, encoding: 'utf8' });
  assert.equal(r.stdout.trim(), 'function function 10', r.stderr);
  assert.ok(existsSync(join(root, 'dist/api.d.ts')));
});

test('examples: train and evaluate, predict a photo, custom tuning (tiny data, plain node)', async () => {
  const lenet = join(tmp, 'lenet5');
  const out = example('train_and_evaluate.mjs', { LIMIT: '2000', EPOCHS: '1', OUT: lenet });
  const acc = Number(out.match(/test accuracy ([\d.]+)% on 10000 images/)?.[1]);
  assert.ok(acc > 50 && acc < 100, out); // 1 epoch on 2,000 images: well above chance (10%)

  // A "photo": a test image scaled up 8x, grey to RGB, saved as JPEG.
  const data = loadFashionMnist({ splits: ['test'] });
  const photo = join(tmp, 'photo.jpg');
  await sharp(Buffer.from(data.test.images.subarray(0, 784)), { raw: { width: 28, height: 28, channels: 1 } })
    .resize(224, 224).toColourspace('srgb').jpeg().toFile(photo);
  const predicted = example('predict_photo.mjs', {}, [lenet, photo]);
  assert.match(predicted, /photo\.jpg: [\w/ -]+ [\d.]+%, [\w/ -]+ [\d.]+%, [\w/ -]+ [\d.]+%\n/);

  const tuned = example('custom_tuning.mjs', { LIMIT: '1000', EPOCHS: '1', OUT: join(tmp, 'tuning') });
  assert.equal(tuned.match(/^lr [\d.e-]+: validation accuracy [\d.]+%$/gm)?.length, 3, tuned);
  assert.match(tuned, /best lr [\d.e-]+: test accuracy [\d.]+%/);
});

test('example: fine-tune a pretrained base (nsfwjs MobileNetV2 at 32x32, head 1 epoch + 1 fine-tuned, 500 images)', () => {
  const out = example('finetune_base.mjs', { SIZE: '32', LIMIT: '500', EPOCHS: '2', OUT: join(tmp, 'mobilenet_v2') });
  assert.match(out, /fine-tuned MobileNetV2: test accuracy [\d.]+%/);
});
