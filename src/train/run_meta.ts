/** What every run records so it can be reproduced: versions, backend, host, data checksums. */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { hostname, cpus } from 'node:os';
import { currentBackend } from '../backend/select.ts';
import { dataFingerprint, type FashionMnist } from '../data/dataset.ts';

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
