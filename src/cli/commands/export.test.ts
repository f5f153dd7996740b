/**
 * `fmnist export` on a full disk and into a read-only folder, as a user runs it (a child process,
 * so whatever HDF5 prints straight to fd 1/2 would show): exit 2, one line naming the target and
 * what to do, and no file — not even a partial one — at the target path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { saveModel } from '../../store/model_io.ts';

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
