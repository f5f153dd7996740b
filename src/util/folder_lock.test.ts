/**
 * A folder's writer lock: one writer at a time, across processes; a dead writer's lock is
 * taken over; the lock goes with its process's exit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FolderLocked, LOCK_FILE, lockHolder, lockFolder } from './folder_lock.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'fmnist-lock-'));
const lockModule = new URL('./folder_lock.ts', import.meta.url).pathname;

/** A child process that takes the lock of `dir`, says 'locked', then does `then` ('wait': until killed; 'exit': process.exit without releasing). */
function holder(dir: string, then: 'wait' | 'exit'): Promise<{ pid: number; ended: Promise<number | null> }> {
  const script = join(tmp(), 'hold.mts');
  writeFileSync(script, `
    import { lockFolder } from ${JSON.stringify(lockModule)};
    lockFolder(${JSON.stringify(dir)}, 'test');
    console.log('locked');
    if (${JSON.stringify(then)} === 'exit') process.exit(3);
    setInterval(() => {}, 1000);
  `);
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ended = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
  return new Promise((ok, fail) => {
    child.stdout.on('data', (d) => { if (/locked/.test(String(d))) ok({ pid: child.pid!, ended }); });
    child.on('exit', (code) => fail(new Error(`holder exited with ${code} before locking`)));
  });
}

test('a second writer is refused at once, naming the folder and the holder; release lets the next one in', () => {
  const dir = tmp();
  const a = lockFolder(dir, 'train');
  assert.throws(() => lockFolder(dir, 'train'), (err: Error) => err instanceof FolderLocked &&
    err.message.includes(dir) && err.message.includes(`train process ${process.pid} on ${hostname()}`) && !err.message.includes('\n'));
  assert.equal(lockHolder(dir)?.pid, process.pid);
  a.release();
  assert.ok(!existsSync(join(dir, LOCK_FILE)), 'released: the lock file is gone');
  a.release(); // idempotent
  const b = lockFolder(dir, 'train');
  b.release();
  rmSync(dir, { recursive: true, force: true });
});

test('another live process holds the lock: refused; once it is killed -9 its stale lock is taken over', async () => {
  const dir = tmp();
  const h = await holder(dir, 'wait');
  assert.throws(() => lockFolder(dir, 'train'), new RegExp(`${dir} is being written by test process ${h.pid} on `));
  process.kill(h.pid, 'SIGKILL');
  await h.ended;
  assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid, h.pid, 'kill -9 leaves the lock file');
  assert.equal(lockHolder(dir), undefined, 'a dead holder holds nothing');
  const mine = lockFolder(dir, 'train');
  assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid, process.pid);
  mine.release();
  rmSync(dir, { recursive: true, force: true });
});

test('process.exit without release (a second Ctrl-C) still removes the lock', async () => {
  const dir = tmp();
  const h = await holder(dir, 'exit');
  assert.equal(await h.ended, 3);
  assert.ok(!existsSync(join(dir, LOCK_FILE)));
  rmSync(dir, { recursive: true, force: true });
});

test('a lock of another host is never taken over; a reused pid with another start time is', () => {
  const dir = tmp();
  const path = join(dir, LOCK_FILE);
  writeFileSync(path, JSON.stringify({ pid: process.pid, host: 'elsewhere.example', what: 'train', since: 'then', token: 'x' }));
  assert.throws(() => lockFolder(dir, 'train'), /is being written by train process \d+ on elsewhere\.example/);
  // This very pid, alive, but started at another time: an earlier process that had the same pid.
  writeFileSync(path, JSON.stringify({ pid: process.ppid, host: hostname(), procStart: '1', what: 'train', since: 'then', token: 'y' }));
  const l = lockFolder(dir, 'train');
  l.release();
  rmSync(dir, { recursive: true, force: true });
});
