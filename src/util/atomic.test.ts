import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.ts';

test('writeFileAtomic: a failed check or write leaves nothing, and the error names the target', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
  try {
    const f = join(dir, 'a.bin');
    writeFileAtomic(f, 'old');
    assert.throws(() => writeFileAtomic(f, 'new', { check: () => { throw new Error('does not read back'); } }), /does not read back/);
    assert.equal(readFileSync(f, 'utf8'), 'old', 'the old content stays');
    assert.deepEqual(readdirSync(dir), ['a.bin'], 'no temp file left');
    mkdirSync(join(dir, 'folder'));
    assert.throws(() => writeFileAtomic(join(dir, 'folder'), 'x'), (e: NodeJS.ErrnoException) => e.code === 'EISDIR' && e.path === join(dir, 'folder'));
    assert.throws(() => writeFileAtomic(join(f, 'under-a-file'), 'x'), (e: NodeJS.ErrnoException) => e.code === 'ENOTDIR' || e.code === 'EEXIST');
    assert.deepEqual(readdirSync(dir).sort(), ['a.bin', 'folder']);
    assert.equal(existsSync(join(dir, 'folder', 'x')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
