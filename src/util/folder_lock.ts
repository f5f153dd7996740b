/**
 * One writer per folder: `writer.lock` names the process that writes a run, search or CV folder
 * (pid, host, process start time), created with O_EXCL so of two processes at the same instant
 * exactly one gets it. A dead holder's lock on this host is taken over; a live one, or one on
 * another host, refuses the second writer at once naming the holder. Readers never lock.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError } from './errors.ts';

/** The lock file's name inside the folder it locks. */
export const LOCK_FILE = 'writer.lock';

/**
 * What writer.lock holds: who writes the folder. `procStart` (Linux: the process' start time in
 * clock ticks since boot, /proc/PID/stat field 22) tells a live holder from a later process that
 * happens to reuse a dead holder's pid.
 */
export interface LockHolder {
  pid: number;
  host: string;
  procStart?: string;
  /** What holds it: 'train', 'tune', 'cv', 'import', … */
  what: string;
  since: string;
  token: string;
}

/** Another process writes the folder (exit 2, like every UserError). */
export class FolderLocked extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'FolderLocked';
  }
}

/** A held writer lock; release() is idempotent and leaves a lock that is no longer ours alone. */
export interface FolderLock {
  readonly dir: string;
  readonly path: string;
  release(): void;
}

/** Locks held by this process, released by the 'exit' handler should their owners not get to it (process.exit on a second Ctrl-C). */
const heldLocks = new Set<FolderLock>();
let exitHookInstalled = false;

function procStartOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the holder is a process that no longer exists (on this host; on another host we cannot tell). */
function holderIsDead(h: LockHolder): boolean {
  if (h.host !== hostname()) return false;
  if (h.pid === process.pid) return !heldLocksHaveToken(h.token);
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
    // EPERM: it exists (another user's).
  }
  const start = procStartOf(h.pid);
  return h.procStart !== undefined && start !== undefined && start !== h.procStart;
}

const heldLocksHaveToken = (token: string) => [...heldLocks].some((l) => (l as { token?: string }).token === token);

function readHolder(path: string): LockHolder | 'missing' | 'partial' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? h : 'partial';
  } catch {
    return 'partial';
  }
}

/** Create `path` with O_EXCL holding `content`; false when it exists. */
function createExclusive(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Remove a lock file only if it still holds `token` (never someone else's). */
function removeIfOurs(path: string, token: string): void {
  const h = readHolder(path);
  if (typeof h === 'object' && h.token === token) {
    try { unlinkSync(path); } catch { /* already gone */ }
  }
}

function describeHolder(h: LockHolder): string {
  return `${h.what} process ${h.pid} on ${h.host}, since ${h.since}`;
}

/**
 * Take the folder's exclusive writer lock (creating the folder): `writer.lock` is created with
 * O_EXCL, so of two processes at the same instant exactly one gets it. A lock whose holder is a
 * dead process on this host (killed with -9, crashed) is stale and taken over; a live holder, or
 * one on another host, makes this throw a UserError naming the folder and the holder. The lock is
 * released by release(), and by process exit should that not run. Readers never need it.
 */
export function lockFolder(dir: string, what: string): FolderLock {
  const abs = resolve(dir);
  // A folder made here and still empty at release (the work was refused or failed first) is removed again.
  const created = mkdirSync(abs, { recursive: true }) !== undefined;
  const path = join(abs, LOCK_FILE);
  const token = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const me: LockHolder = { pid: process.pid, host: hostname(), procStart: procStartOf(process.pid), what, since: new Date().toISOString(), token };
  const content = JSON.stringify(me) + '\n';
  for (let attempt = 0; ; attempt++) {
    if (createExclusive(path, content)) break;
    let h = readHolder(path);
    // Between another writer's open and its write the file is empty: give it a moment.
    for (let i = 0; h === 'partial' && i < 20; i++) { sleepSync(25); h = readHolder(path); }
    if (h === 'missing' && attempt < 5) continue;
    if (h === 'partial') {
      // Still empty after half a second: a process died between creating and filling it.
      const age = Date.now() - statSync(path).mtimeMs;
      if (age > 10_000 && attempt < 5 && takeOver(path, undefined)) continue;
      throw new FolderLocked(`${abs} is locked by another writer (${path} is unreadable); if no other fmnist process uses this folder, delete that file`);
    }
    if (typeof h === 'object' && holderIsDead(h) && attempt < 5) {
      takeOver(path, h);
      continue;
    }
    const holder = typeof h === 'object' ? describeHolder(h) : 'another process';
    throw new FolderLocked(`${abs} is being written by ${holder}: wait for it to finish or choose another folder (${LOCK_FILE})`);
  }
  let released = false;
  const lock = {
    dir: abs, path, token,
    release(): void {
      if (released) return;
      released = true;
      heldLocks.delete(lock);
      removeIfOurs(path, token);
      if (created) {
        try { if (readdirSync(abs).length === 0) rmdirSync(abs); } catch { /* in use again, or gone */ }
      }
    },
  };
  heldLocks.add(lock);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => { for (const l of [...heldLocks]) l.release(); });
  }
  return lock;
}

/** Run `work` holding the folder's writer lock, released however it ends. */
export async function withFolderLock<T>(dir: string, what: string, work: () => Promise<T>): Promise<T> {
  const lock = lockFolder(dir, what);
  try {
    return await work();
  } finally {
    lock.release();
  }
}

/**
 * Remove a stale lock so the caller can retry creating it. Two processes may find the same stale
 * lock: `writer.lock.takeover` (O_EXCL too) lets one of them remove it, after checking the lock
 * still names the dead holder — never a fresh lock another process has just taken.
 */
function takeOver(path: string, stale: LockHolder | undefined): boolean {
  const guard = `${path}.takeover`;
  const token = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const mine: LockHolder = { pid: process.pid, host: hostname(), procStart: procStartOf(process.pid), what: 'takeover', since: new Date().toISOString(), token };
  if (!createExclusive(guard, JSON.stringify(mine))) {
    const g = readHolder(guard);
    // A taker that died mid-takeover leaves the guard behind.
    if (typeof g === 'object' && holderIsDead(g)) removeIfOurs(guard, g.token);
    else sleepSync(50);
    return false;
  }
  try {
    const now = readHolder(path);
    const same = stale === undefined ? now === 'partial' : typeof now === 'object' && now.token === stale.token && now.pid === stale.pid;
    if (same) unlinkSync(path);
    return same;
  } finally {
    removeIfOurs(guard, token);
  }
}

/** Who holds the folder's writer lock now (undefined: nobody, or a dead process). */
export function lockHolder(dir: string): LockHolder | undefined {
  const h = readHolder(join(resolve(dir), LOCK_FILE));
  return typeof h === 'object' && !holderIsDead(h) ? h : undefined;
}
