/**
 * The released models work on a fresh clone, before any training: `fmnist evaluate --model NAME` gives
 * the test accuracy RELEASED states for it, `fmnist predict --model NAME` classifies pictures, and a
 * name that is not released is one clear line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { loadFashionMnist } from '../data/dataset.ts';
import { CLASS_NAMES } from '../data/source.ts';
import { RELEASED } from './released.ts';

const bin = fileURLToPath(new URL('../../bin/fmnist.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'fmnist-released-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const fmnist = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: tmp, timeout: 300_000 });

for (const [name, entry] of Object.entries(RELEASED)) {
  test(`released model '${name}': evaluate --model gives the stated ${(entry.testAccuracy * 100).toFixed(2)}%, predict --model classifies`, async () => {
    const r = fmnist('--json', 'evaluate', '--model', name, '--out', join(tmp, `eval-${name}`));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).accuracy, entry.testAccuracy);

    // Test images 0–4 as PNG files: the released models get these right.
    const data = loadFashionMnist({ splits: ['test'] });
    const files = await Promise.all([0, 1, 2, 3, 4].map(async (i) => {
      const file = join(tmp, `test-${i}.png`);
      await sharp(Buffer.from(data.test.images.subarray(i * 784, (i + 1) * 784)), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(file);
      return file;
    }));
    const p = fmnist('--json', 'predict', '--model', name, '--top', '1', ...files);
    assert.equal(p.status, 0, p.stderr);
    const predicted = (JSON.parse(p.stdout) as { top: { className: string }[] }[]).map((x) => x.top[0].className);
    assert.deepEqual(predicted, [0, 1, 2, 3, 4].map((i) => CLASS_NAMES[data.test.labels[i]]));
  });
}

test('an unknown released name, or a folder and --model together, is one clear line and exit 2', () => {
  const r = fmnist('evaluate', '--model', 'nope');
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').at(-1), `fmnist: --model nope: not a released model; choose one of ${Object.keys(RELEASED).join(', ')}`);
  const both = fmnist('evaluate', 'runs/x', '--model', 'best');
  assert.equal(both.status, 2);
  assert.match(both.stderr, /give a run folder or --model best, not both/);
});
