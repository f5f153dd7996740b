import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { IDX_MAGIC_IMAGES, IDX_MAGIC_LABELS, encodeIdx, readIdx } from './idx.ts';
import { loadFashionMnist } from './dataset.ts';
import { UserError } from '../util/errors.ts';

/** A small valid dataset: n images of 28x28 and n labels, per split, written as .gz files. */
function writeDataset(dir: string, opts: { n?: number; override?: Partial<Record<string, Uint8Array>> } = {}): void {
  const n = opts.n ?? 20;
  const images = encodeIdx(IDX_MAGIC_IMAGES, [n, 28, 28], Uint8Array.from({ length: n * 784 }, (_, i) => (i * 7) % 256));
  const labels = encodeIdx(IDX_MAGIC_LABELS, [n], Uint8Array.from({ length: n }, (_, i) => i % 10));
  const files: Record<string, Uint8Array> = {
    'train-images-idx3-ubyte.gz': gzipSync(images),
    'train-labels-idx1-ubyte.gz': gzipSync(labels),
    't10k-images-idx3-ubyte.gz': gzipSync(images),
    't10k-labels-idx1-ubyte.gz': gzipSync(labels),
    ...opts.override,
  };
  for (const [name, bytes] of Object.entries(files)) if (bytes) writeFileSync(join(dir, name), bytes);
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'fmnist-idx-'));
}

/** Loading `dir` must fail with a UserError whose one line names `file` and matches `problem`. */
function assertRefused(dir: string, file: string, problem: RegExp): void {
  assert.throws(() => loadFashionMnist({ dataDir: dir }), (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${err}`);
    assert.ok(!err.message.includes('\n'), 'one line');
    assert.match(err.message, new RegExp(file.replace(/[.]/g, '\\.')));
    assert.match(err.message, problem);
    return true;
  });
}

const valid = (n = 20) => ({
  images: encodeIdx(IDX_MAGIC_IMAGES, [n, 28, 28], new Uint8Array(n * 784)),
  labels: encodeIdx(IDX_MAGIC_LABELS, [n], Uint8Array.from({ length: n }, (_, i) => i % 10)),
});

test('a valid gzipped dataset loads, zero-copy views with the right counts', () => {
  const dir = tempDir();
  writeDataset(dir);
  const d = loadFashionMnist({ dataDir: dir });
  assert.equal(d.train.count, 20);
  assert.equal(d.train.images.length, 20 * 784);
  assert.deepEqual([...d.train.labels.slice(0, 12)], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
  assert.equal(d.official, false, 'test-made files are not the official data');
  rmSync(dir, { recursive: true });
});

test('plain (not gzipped) IDX files load too', () => {
  const dir = tempDir();
  const { images, labels } = valid();
  for (const s of ['train', 't10k']) {
    writeFileSync(join(dir, `${s}-images-idx3-ubyte`), images);
    writeFileSync(join(dir, `${s}-labels-idx1-ubyte`), labels);
  }
  assert.equal(loadFashionMnist({ dataDir: dir }).test.count, 20);
  rmSync(dir, { recursive: true });
});

const cases: { name: string; file: string; bytes: () => Uint8Array; problem: RegExp }[] = [
  { name: 'empty file', file: 'train-images-idx3-ubyte.gz', bytes: () => new Uint8Array(0), problem: /empty/ },
  {
    name: 'truncated gzip', file: 'train-images-idx3-ubyte.gz', problem: /truncated gzip/,
    bytes: () => {
      const whole = gzipSync(encodeIdx(IDX_MAGIC_IMAGES, [20, 28, 28], randomBytes(20 * 784)));
      return whole.subarray(0, whole.length >> 1);
    },
  },
  { name: 'not gzip although named .gz', file: 'train-labels-idx1-ubyte.gz', bytes: () => valid().labels, problem: /not gzip/ },
  { name: 'wrong magic', file: 'train-images-idx3-ubyte.gz', bytes: () => gzipSync(valid().labels), problem: /wrong magic number 2049 \(expected 2051/ },
  { name: 'header/body length mismatch', file: 't10k-images-idx3-ubyte.gz', bytes: () => gzipSync(valid().images.subarray(0, 16 + 784 * 3)), problem: /header says 20x28x28 = 15680 bytes of data but the file has 2352/ },
  { name: 'wrong image size', file: 'train-images-idx3-ubyte.gz', bytes: () => gzipSync(encodeIdx(IDX_MAGIC_IMAGES, [20, 32, 32], new Uint8Array(20 * 1024))), problem: /32x32, expected 28x28/ },
  { name: 'images/labels count mismatch', file: 'train-labels-idx1-ubyte.gz', bytes: () => gzipSync(valid(19).labels), problem: /19 labels for 20 images/ },
  { name: 'label out of range', file: 't10k-labels-idx1-ubyte.gz', bytes: () => gzipSync(encodeIdx(IDX_MAGIC_LABELS, [20], Uint8Array.from({ length: 20 }, (_, i) => (i === 7 ? 10 : 0)))), problem: /label 10 at index 7 is out of range/ },
  {
    name: 'header claiming billions of items', file: 'train-images-idx3-ubyte.gz',
    bytes: () => gzipSync(encodeIdx(IDX_MAGIC_IMAGES, [4_000_000_000, 28, 28], new Uint8Array(784))), problem: /header says 4000000000x28x28/,
  },
  { name: 'header shorter than its dimensions', file: 'train-labels-idx1-ubyte.gz', bytes: () => gzipSync(Uint8Array.of(0, 0, 8, 1, 0, 0)), problem: /too short|header truncated/ },
];

for (const c of cases) {
  test(`refuses: ${c.name}`, () => {
    const dir = tempDir();
    writeDataset(dir, { override: { [c.file]: c.bytes() } });
    assertRefused(dir, c.file, c.problem);
    rmSync(dir, { recursive: true });
  });
}

test('refuses: a missing file, naming it and what to do', () => {
  const dir = tempDir();
  writeDataset(dir);
  rmSync(join(dir, 't10k-labels-idx1-ubyte.gz'));
  assert.throws(() => loadFashionMnist({ dataDir: dir }), /missing t10k-labels-idx1-ubyte\[\.gz\]/);
  rmSync(dir, { recursive: true });
});

test('readIdx reports a file that does not exist', () => {
  assert.throws(() => readIdx('/nonexistent/x-idx3-ubyte', IDX_MAGIC_IMAGES), /file not found/);
});

test('the CLI prints one line, exits non-zero, no stack trace, and writes nothing', () => {
  const dir = tempDir();
  writeDataset(dir, { override: { 'train-images-idx3-ubyte.gz': gzipSync(valid().labels) } });
  const before = readdirSync(dir).sort();
  const r = spawnSync(process.execPath, ['bin/fmnist.js', 'data', 'verify', '--data-dir', dir], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^fmnist: train-images-idx3-ubyte\.gz: wrong magic number/);
  assert.doesNotMatch(r.stderr, /\bat \w+ \(/, 'no stack trace');
  assert.deepEqual(readdirSync(dir).sort(), before, 'nothing written');
  const debug = spawnSync(process.execPath, ['bin/fmnist.js', '--debug', 'data', 'verify', '--data-dir', dir], { encoding: 'utf8' });
  assert.match(debug.stderr, /\n\s+at /, '--debug shows the stack');
  rmSync(dir, { recursive: true });
});
