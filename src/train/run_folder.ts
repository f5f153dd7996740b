/**
 * A run folder — what one training run leaves on disk — and the one module that knows its files:
 *
 *   run.json          status, config, seed, versions, backend, host, data checksums, split, timings, result
 *   checkpoint.json   the loop state of the last completed epoch, naming its ckpt-EEEE/ folder (checkpoint.ts)
 *   metrics.jsonl     one line per completed epoch
 *   model.json + weights.bin   the kept model, written last (store/model_io.ts)
 *   learning_curves.png / .svg
 *   writer.lock       while a process writes the folder: its pid and host (util/folder_lock.ts)
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
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import { firstDifference } from '../util/diff.ts';
import { UserError } from '../util/errors.ts';
import type { EpochMetrics, RunStatus, TrainResult } from './types.ts';
import { RUN_FILES, TRAIN_ROOT, runFile } from './run_files.ts';

export { RUN_FILES, TRAIN_ROOT, runFile };

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
      // A finished run records the very figure its result returns, so a rerun that reads it back agrees to the ms.
      totalSeconds: r.result ? r.result.seconds : (now - r.started) / 1000,
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
    backend: backend ? { name: backend.name, threads: backend.threads, precision: backend.precision } : { name: tf.getBackend(), threads: 1, precision: 'fp32' },
    precision: backend?.precision ?? 'fp32',
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
