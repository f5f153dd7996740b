/** What every run records so it can be reproduced: versions, backend, host, data checksums. */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { hostname, cpus } from 'node:os';
import { join } from 'node:path';
import { currentBackend } from '../backend/select.ts';
import { dataFingerprint, type FashionMnist } from '../data/dataset.ts';
import type { TrainResult } from './types.ts';

/** The fields of a run's run.json (written by train.ts) that other stages read back. */
export interface RunJson {
  status?: string;
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
    return JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunJson;
  } catch {
    return undefined;
  }
}

let projectVersion: string | undefined;
export function packageVersion(): string {
  projectVersion ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return projectVersion;
}

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
