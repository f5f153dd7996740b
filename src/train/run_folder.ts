/**
 * A run folder — what one training run leaves on disk — and the one module that knows its files:
 *
 *   run.json          status, config, seed, versions, backend, host, data checksums, split, timings, result
 *   checkpoint.json   the loop state of the last completed epoch, naming its ckpt-EEEE/ folder (checkpoint.ts)
 *   metrics.jsonl     one line per completed epoch
 *   model.json + weights.bin   the kept model, written last (store/model_io.ts)
 *   learning_curves.png / .svg
 *   writer.lock       while a process writes the folder: its pid and host (see lockRunFolder)
 *
 * A run is finished when run.json says 'done' and model.json is there: train() writes that status
 * only after the model, so no kill can leave a 'done' folder without one.
 */
import * as tf from '@tensorflow/tfjs';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import type { TrainConfig } from '../config.ts';
import { currentBackend } from '../backend/select.ts';
import { dataFingerprint, type FashionMnist } from '../data/dataset.ts';
import { MODEL_FILE, WEIGHTS_FILE } from '../store/model_io.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import { firstDifference } from '../util/diff.ts';
import { UserError } from '../util/errors.ts';
import type { EpochMetrics, RunStatus, TrainResult } from './types.ts';

export const RUN_FILES = {
  run: 'run.json',
  checkpoint: 'checkpoint.json',
  metrics: 'metrics.jsonl',
  model: MODEL_FILE,
  weights: WEIGHTS_FILE,
  curvesPng: 'learning_curves.png',
  curvesSvg: 'learning_curves.svg',
  lock: 'writer.lock',
} as const;

/** The path of one of a run folder's files. */
export const runFile = (dir: string, file: keyof typeof RUN_FILES): string => join(dir, RUN_FILES[file]);

/** Where `fmnist train` puts runs without --out. */
export const TRAIN_ROOT = 'runs/train';

// ---- run.json -------------------------------------------------------------------------------

/** The keys train() writes itself; every other key of run.json is the run's meta (see runMeta). */
const OWN_KEYS = ['status', 'config', 'seed', 'startedAt', 'updatedAt', 'timings', 'epochsCompleted', 'bestEpoch', 'final', 'result', 'error'] as const;
type OwnKey = (typeof OWN_KEYS)[number];

/** The fields of a run's run.json that other stages read back. */
export interface RunJson {
  status?: RunStatus;
  config?: TrainConfig;
  result?: TrainResult['status'];
  final?: TrainResult['final'];
  error?: string;
  epochsCompleted?: number;
  bestEpoch?: number;
  timings?: { totalSeconds?: number };
  [k: string]: unknown;
}

/** A run folder's run.json, or undefined when it is missing or unreadable. */
export function readRunJson(dir: string): RunJson | undefined {
  try {
    return JSON.parse(readFileSync(runFile(dir, 'run'), 'utf8')) as RunJson;
  } catch {
    return undefined;
  }
}

/** run.json as of now: the run's status, config and meta, its timings so far, and its result once there is one. */
export function writeRunJson(dir: string, r: {
  status: RunStatus;
  config: TrainConfig;
  meta: Record<string, unknown>;
  history: EpochMetrics[];
  /** When the run (this process's part of it) started, ms since the epoch. */
  started: number;
  result?: TrainResult;
  error?: string;
}): void {
  const seconds = r.history.map((h) => h.seconds);
  const now = Date.now();
  const own: Partial<Record<OwnKey, unknown>> = {
    status: r.status,
    config: r.config,
    seed: r.config.seed,
    startedAt: new Date(r.started).toISOString(),
    updatedAt: new Date(now).toISOString(),
    timings: {
      totalSeconds: (now - r.started) / 1000,
      epochSeconds: seconds,
      meanEpochSeconds: seconds.length ? seconds.reduce((a, b) => a + b, 0) / seconds.length : null,
    },
    epochsCompleted: r.history.length,
    ...(r.result ? { bestEpoch: r.result.bestEpoch, final: r.result.final, result: r.result.status } : {}),
    ...(r.error ? { error: r.error } : {}),
  };
  const { status, config, seed, ...rest } = own;
  writeJsonAtomic(runFile(dir, 'run'), { status, config, seed, ...r.meta, ...rest });
}

/** The meta part of a run.json (versions, backend, host, data, split, …): everything train() did not compute itself. */
export function runMetaOf(run: RunJson): Record<string, unknown> {
  const own = new Set<string>(OWN_KEYS);
  return Object.fromEntries(Object.entries(run).filter(([k]) => !own.has(k)));
}

let projectVersion: string | undefined;
export function packageVersion(): string {
  projectVersion ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return projectVersion;
}

/** What every run records so it can be reproduced: versions, backend, host, data checksums. */
export function runMeta(data?: FashionMnist): Record<string, unknown> {
  const backend = currentBackend();
  return {
    versions: { 'fashion-mnist-lab': packageVersion(), node: process.version, tfjs: tf.version.tfjs },
    backend: backend ? { name: backend.name, threads: backend.threads } : { name: tf.getBackend(), threads: 1 },
    host: { hostname: hostname(), cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', platform: `${process.platform}-${process.arch}` },
    pid: process.pid,
    argv: process.argv.slice(2),
    ...(data ? { data: dataFingerprint(data) } : {}),
  };
}

// ---- metrics.jsonl --------------------------------------------------------------------------

/** The per-epoch metrics recorded so far ([] when there are none). */
export function readMetrics(dir: string): EpochMetrics[] {
  const path = runFile(dir, 'metrics');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as EpochMetrics);
}

/** Replace the metrics log with `history` (a kill may have landed between a checkpoint and its log line). */
export function writeMetrics(dir: string, history: EpochMetrics[]): void {
  writeFileAtomic(runFile(dir, 'metrics'), history.map((m) => JSON.stringify(m) + '\n').join(''));
}

export function appendMetrics(dir: string, m: EpochMetrics): void {
  appendFileSync(runFile(dir, 'metrics'), JSON.stringify(m) + '\n');
}

// ---- the folder's state ---------------------------------------------------------------------

/** Whether the folder holds a checkpoint, i.e. a run that can be resumed (or was finished). */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(runFile(dir, 'checkpoint'));
}

/**
 * Whether the folder holds a finished run (done, stopped early or pruned) with its model — made
 * with `config`, when one is given.
 */
export function isFinished(dir: string, config?: TrainConfig): boolean {
  const run = readRunJson(dir);
  if (run?.status !== 'done' || !existsSync(runFile(dir, 'model'))) return false;
  return config === undefined || firstDifference(run.config, config) === undefined;
}

/** A finished run's outcome, from its run.json; undefined when the folder holds none. */
export function finishedRun(dir: string, config?: TrainConfig): { outDir: string; status: TrainResult['status']; epochs: number; bestEpoch: number; final: TrainResult['final']; seconds: number } | undefined {
  if (!isFinished(dir, config)) return undefined;
  const run = readRunJson(dir)!;
  if (!run.final || run.epochsCompleted === undefined || run.bestEpoch === undefined) return undefined;
  return { outDir: dir, status: run.result ?? 'done', epochs: run.epochsCompleted, bestEpoch: run.bestEpoch, final: run.final, seconds: run.timings?.totalSeconds ?? 0 };
}

/** The newest run folder under `root` with a checkpoint but no finished run (what `--resume` alone continues). */
export function latestUnfinished(root = TRAIN_ROOT): string | undefined {
  if (!existsSync(root)) return undefined;
  return readdirSync(root)
    .map((n) => join(root, n))
    .filter((d) => hasCheckpoint(d) && !isFinished(d))
    .sort((a, b) => statSync(runFile(b, 'checkpoint')).mtimeMs - statSync(runFile(a, 'checkpoint')).mtimeMs)[0];
}

/** A new run folder under `root` named by model and time, e.g. runs/train/lenet5-20250101-120000. */
export function newRunDir(model: string, root = TRAIN_ROOT): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return resolve(root, `${model}-${stamp}`);
}

// ---- the writer lock ------------------------------------------------------------------------

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
export interface RunFolderLock {
  readonly dir: string;
  readonly path: string;
  release(): void;
}

/** Locks held by this process, released by the 'exit' handler should their owners not get to it (process.exit on a second Ctrl-C). */
const heldLocks = new Set<RunFolderLock>();
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
export function lockRunFolder(dir: string, what: string): RunFolderLock {
  const abs = resolve(dir);
  // A folder made here and still empty at release (the work was refused or failed first) is removed again.
  const created = mkdirSync(abs, { recursive: true }) !== undefined;
  const path = join(abs, RUN_FILES.lock);
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
    throw new FolderLocked(`${abs} is being written by ${holder}: wait for it to finish or choose another folder (${RUN_FILES.lock})`);
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
export async function withRunFolderLock<T>(dir: string, what: string, work: () => Promise<T>): Promise<T> {
  const lock = lockRunFolder(dir, what);
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
  const h = readHolder(join(resolve(dir), RUN_FILES.lock));
  return typeof h === 'object' && !holderIsDead(h) ? h : undefined;
}
