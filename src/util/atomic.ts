import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { withPath } from './errors.ts';

/** A temp name beside `path`, so the final rename stays on one filesystem (and is atomic). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Write a file so that readers see either the old content or the new one, never a part:
 * write a temp file beside it, check it (`check`, given the temp path), fsync, rename over.
 * A crash leaves at most a stray *.tmp; a failure (a full disk, no permission, a failed check)
 * leaves nothing, and its error names `path` — the file the user asked for, not the temp file.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, o: { check?: (tmp: string) => void } = {}): void {
  const tmp = tempPathFor(path);
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, data, { flag: 'wx' });
    const fd = openSync(tmp, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
    o.check?.(tmp);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw withPath(err, path, tmp);
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}
