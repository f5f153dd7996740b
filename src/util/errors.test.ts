import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError, asUserError, withPath } from './errors.ts';

const errno = (code: string, path?: string) => Object.assign(new Error(`${code}: something, write`), { code, ...(path ? { path } : {}) });

test('environment failures are user errors (exit 2): one line naming the path and what to do', () => {
  const cases: [string, RegExp][] = [
    ['ENOSPC', /^\/d\/f: no space left on the device; free some space or write somewhere else \(ENOSPC\)$/],
    ['EPERM', /^\/d\/f: operation not permitted; check its permissions or choose another path \(EPERM\)$/],
    ['EACCES', /^\/d\/f: permission denied; check its permissions or choose another path \(EACCES\)$/],
    ['EISDIR', /^\/d\/f: is a folder where a file was expected; give a file name \(EISDIR\)$/],
    ['EROFS', /^\/d\/f: read-only file system; write somewhere else \(EROFS\)$/],
    ['SQLITE_BUSY', /^\/d\/f: database is locked by another process; .* \(SQLITE_BUSY\)$/],
    ['SQLITE_IOERR_WRITE', /^\/d\/f: input\/output error on the database; .* \(SQLITE_IOERR_WRITE\)$/],
  ];
  for (const [code, want] of cases) {
    const u = asUserError(errno(code, '/d/f'));
    assert.ok(u instanceof UserError, code);
    assert.equal(u.exitCode, 2);
    assert.match(u.message, want);
  }
});

test('a path is added where Node gave none, or replaces a temp file the user never named', () => {
  assert.equal((withPath(errno('ENOSPC'), '/d/target') as { path?: string }).path, '/d/target');
  assert.equal((withPath(errno('EROFS', '/d/.target.tmp'), '/d/target', '/d/.target.tmp') as { path?: string }).path, '/d/target');
  assert.equal((withPath(errno('EACCES', '/d/other'), '/d/target', '/d/.target.tmp') as { path?: string }).path, '/d/other');
});

test('bugs stay bugs; user errors stay as they are', () => {
  assert.equal(asUserError(new TypeError('x is undefined')), undefined);
  assert.equal(asUserError(errno('ERR_IPC_CHANNEL_CLOSED')), undefined);
  const u = new UserError('bad flag');
  assert.equal(asUserError(u), u);
});
