import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { getFile, kerasHome, ourCacheDir } from './get_file.ts';
import { UserError } from '../util/errors.ts';
import { mobilenet } from '../models/mobilenet.ts';
import { vgg16 } from '../models/vgg16.ts';
import { KERAS_H5_DIR as FIXTURES } from '../../test/fixtures/index.ts';

tf.env().set('PROD', true);
await tf.setBackend('cpu');

const BODY = Buffer.from('pretend these are Keras weights '.repeat(5000));
const MD5 = createHash('md5').update(BODY).digest('hex');
const SHA256 = createHash('sha256').update(BODY).digest('hex');

let server: Server;
let base: string;
const hits: string[] = [];
let root: string;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'getfile-'));
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const name = (req.url ?? '').split('/').pop()!;
    if (name === 'weights.bin') {
      res.writeHead(200, { 'content-length': BODY.length });
      res.end(BODY);
    } else if (name === 'mobilenet_2_5_224_tf_no_top.h5') {
      const b = readFileSync(join(FIXTURES, name));
      res.writeHead(200, { 'content-length': b.length });
      res.end(b);
    } else if (name === 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5') {
      res.writeHead(200, { 'content-length': BODY.length }); // not Keras' file: its md5 is wrong
      res.end(BODY);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

after(() => {
  server.close();
  rmSync(root, { recursive: true, force: true });
});

/** Run with KERAS_HOME and FMNIST_CACHE_DIR in fresh temporary folders. */
async function withCaches<T>(fn: (dirs: { keras: string; ours: string }) => Promise<T>, env: Record<string, string> = {}): Promise<T> {
  const dir = mkdtempSync(join(root, 'case-'));
  const dirs = { keras: join(dir, 'keras-home'), ours: join(dir, 'ours') };
  const saved = { KERAS_HOME: process.env.KERAS_HOME, FMNIST_CACHE_DIR: process.env.FMNIST_CACHE_DIR, FMNIST_WEIGHTS_MIRROR: process.env.FMNIST_WEIGHTS_MIRROR };
  process.env.KERAS_HOME = dirs.keras;
  process.env.FMNIST_CACHE_DIR = dirs.ours;
  delete process.env.FMNIST_WEIGHTS_MIRROR;
  Object.assign(process.env, env);
  try {
    return await fn(dirs);
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
}

test('downloads into our cache with the right hash (md5 or sha256), atomically, and reuses the re-verified copy', async () => {
  await withCaches(async ({ keras, ours }) => {
    assert.equal(kerasHome(), keras);
    assert.equal(ourCacheDir(), ours);
    hits.length = 0;
    const p = await getFile('weights.bin', `${base}weights.bin`, { fileHash: MD5, cacheSubdir: 'models' });
    assert.equal(p, join(ours, 'models', 'weights.bin'));
    assert.deepEqual(readFileSync(p), BODY);
    assert.deepEqual(readdirSync(join(ours, 'models')), ['weights.bin'], 'no temp file left');
    assert.equal(hits.length, 1);
    assert.equal(await getFile('weights.bin', `${base}weights.bin`, { fileHash: MD5, progress: false }), p);
    assert.equal(hits.length, 1, 'second call served from the cache');
    // A corrupted cached copy fails re-verification and is fetched again.
    writeFileSync(p, 'truncated');
    assert.equal(await getFile('weights.bin', `${base}weights.bin`, { fileHash: SHA256, progress: false }), p);
    assert.equal(hits.length, 2);
    assert.deepEqual(readFileSync(p), BODY);
  });
});

test('a download whose hash is wrong is refused and nothing is kept', async () => {
  await withCaches(async ({ ours }) => {
    const wrong = 'f'.repeat(32);
    await assert.rejects(getFile('weights.bin', `${base}weights.bin`, { fileHash: wrong, progress: false }),
      (e: Error) => e instanceof UserError && e.message === `weights.bin: md5 of the download is ${MD5}, not the pinned ${wrong}: corrupt or not Keras' file; nothing was kept`);
    assert.deepEqual(existsSync(join(ours, 'models')) ? readdirSync(join(ours, 'models')) : [], []);
    await assert.rejects(getFile('nothing.h5', `${base}nothing.h5`, { progress: false }), (e: Error) => e instanceof UserError && /HTTP 404/.test(e.message));
  });
});

test("Keras' own cache ($KERAS_HOME/models) is looked in first; a stale copy there is skipped, not touched", async () => {
  await withCaches(async ({ keras, ours }) => {
    mkdirSync(join(keras, 'models'), { recursive: true });
    writeFileSync(join(keras, 'models', 'weights.bin'), BODY);
    hits.length = 0;
    assert.equal(await getFile('weights.bin', `${base}weights.bin`, { fileHash: MD5, progress: false }), join(keras, 'models', 'weights.bin'));
    assert.equal(hits.length, 0);
    writeFileSync(join(keras, 'models', 'weights.bin'), 'old');
    assert.equal(await getFile('weights.bin', `${base}weights.bin`, { fileHash: MD5, progress: false }), join(ours, 'models', 'weights.bin'));
    assert.equal(readFileSync(join(keras, 'models', 'weights.bin'), 'utf8'), 'old');
  });
});

test('offline, one line says which file to place where', async () => {
  await withCaches(async ({ keras, ours }) => {
    const origin = 'http://127.0.0.1:9/keras-applications/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5';
    await assert.rejects(getFile('vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5', origin, { fileHash: MD5, progress: false }), (e: Error) => {
      assert.ok(e instanceof UserError);
      assert.equal(e.message, `cannot download vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 (offline?): place Keras' file vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 (from ${origin}) in ${join(keras, 'models')}/ or ${join(ours, 'models')}/`);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
  });
});

test("weights: 'imagenet' goes through getFile: Keras' MobileNet file from a mirror, or from $KERAS_HOME without any network", async () => {
  await withCaches(async ({ ours }) => {
    hits.length = 0;
    const m = await mobilenet({ alpha: 0.25, includeTop: false, weights: 'imagenet' });
    const w = (m as tf.LayersModel & { kerasWeights?: { source: string; path: string; assigned: number } }).kerasWeights!;
    assert.deepEqual([w.source, w.path, w.assigned], ['imagenet', join(ours, 'models', 'mobilenet_2_5_224_tf_no_top.h5'), 135]);
    assert.deepEqual(hits, ['/mobilenet_2_5_224_tf_no_top.h5']);
    m.dispose();
  }, { FMNIST_WEIGHTS_MIRROR: base });
  await withCaches(async ({ keras }) => {
    mkdirSync(join(keras, 'models'), { recursive: true });
    copyFileSync(join(FIXTURES, 'mobilenet_2_5_224_tf_no_top.h5'), join(keras, 'models', 'mobilenet_2_5_224_tf_no_top.h5'));
    const m = await mobilenet({ alpha: 0.25, includeTop: false, weights: 'imagenet' });
    const w = (m as tf.LayersModel & { kerasWeights?: { path: string; assigned: number } }).kerasWeights!;
    assert.deepEqual([w.path, w.assigned], [join(keras, 'models', 'mobilenet_2_5_224_tf_no_top.h5'), 135]);
    m.dispose();
  }, { FMNIST_WEIGHTS_MIRROR: 'http://127.0.0.1:9/' }); // unreachable: proves nothing was downloaded
});

test("weights: 'imagenet' with Keras' pinned md5 refuses a file that is not Keras' (VGG16)", async () => {
  await withCaches(async () => {
    await assert.rejects(vgg16({ includeTop: false, weights: 'imagenet' }),
      (e: Error) => e instanceof UserError && /^vgg16_weights_tf_dim_ordering_tf_kernels_notop\.h5: md5 of the download is [0-9a-f]{32}, not the pinned 6d6bbae143d832006294945121d1f1fc/.test(e.message));
  }, { FMNIST_WEIGHTS_MIRROR: base });
});
