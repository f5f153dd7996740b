/**
 * `fmnist worker`: a BullMQ worker that takes trial, fold and refit jobs from the queue and runs
 * each in a sandboxed child process (remote_processor.ts; BullMQ's advice for CPU-bound work, so
 * the lock renewal in this process never starves). A worker killed mid-job stops renewing the
 * job's lock; after the stall interval another worker's stall check puts the job back.
 */
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { Worker } from 'bullmq';
import { QUEUE_NAME, redact, redisConnection } from './remote.ts';

export interface RemoteWorkerOptions {
  url: string;
  concurrency: number;
  threads: number;
  backend: string;
  /** --precision of `fmnist worker` (each trial's process resolves it on its own CPU). */
  precision: string;
  dataDir?: string;
  /** Where this worker's run folders go. */
  workDir: string;
  artifacts?: string;
  /** Lock duration: a killed worker's job is taken again after about this long (default 30 s). */
  stallMs?: number;
  say: (line: string) => void;
}

export function startRemoteWorker(o: RemoteWorkerOptions): Worker {
  const processor = fileURLToPath(new URL('./remote_processor.ts', import.meta.url));
  const stallMs = o.stallMs ?? 30_000;
  const worker = new Worker(QUEUE_NAME, processor, {
    connection: redisConnection(o.url),
    concurrency: o.concurrency,
    useWorkerThreads: false,
    lockDuration: stallMs,
    stalledInterval: stallMs,
    // A job whose workers were killed is put back this many times before it counts as failed.
    maxStalledCount: 3,
    workerForkOptions: {
      execArgv: ['--import', import.meta.resolve('tsx')],
      env: {
        ...process.env,
        FMNIST_THREADS: String(o.threads),
        FMNIST_BACKEND: o.backend,
        FMNIST_PRECISION: o.precision,
        FMNIST_WORKER_DIR: resolve(o.workDir),
        FMNIST_REDIS_URL: o.url,
        ...(o.dataDir ? { FMNIST_DATA_DIR: o.dataDir } : {}),
        ...(o.artifacts ? { FMNIST_ARTIFACTS: resolve(o.artifacts) } : {}),
      },
    },
  });
  worker.on('active', (job) => o.say(`worker: ${job.id} started`));
  worker.on('progress', (job, p) => {
    const m = (p as { epoch?: { epoch: number; valAcc?: number } }).epoch;
    if (m) o.say(`worker: ${job.id} epoch ${m.epoch}${m.valAcc !== undefined ? ` val_acc ${(m.valAcc * 100).toFixed(2)}%` : ''}`);
  });
  worker.on('completed', (job) => o.say(`worker: ${job.id} done`));
  worker.on('failed', (job, err) => o.say(`worker: ${job?.id ?? '?'} failed: ${err.message}`));
  let last = '';
  worker.on('error', (err) => { if (err.message !== last) o.say(`worker: ${(last = err.message)}`); });
  o.say(`worker: ${o.concurrency} job${o.concurrency === 1 ? '' : 's'} at once, ${o.threads} thread${o.threads === 1 ? '' : 's'} each, on ${redact(o.url)} queue ${QUEUE_NAME}`);
  return worker;
}
