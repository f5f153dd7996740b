/**
 * `fmnist worker`: a BullMQ worker that takes trial, fold and refit jobs from the queue and runs
 * each in a sandboxed child process (remote_processor.ts; BullMQ's advice for CPU-bound work, so
 * the lock renewal in this process never starves). A worker killed mid-job stops renewing the
 * job's lock; after the stall interval another worker's stall check puts the job back.
 *
 * Redis going away: the worker keeps reconnecting (it is a service; the coordinator is the one that
 * gives up) and says so once each way. A job Redis lost meanwhile ends here with "Missing key":
 * its result is dropped, and the coordinator queues it again.
 *
 * Stopping (SIGTERM/SIGINT): with jobs running, after them; with none, at once — also when Redis is
 * unreachable, where BullMQ's own close would wait for it for ever.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { resolve } from 'node:path';
import { Worker } from 'bullmq';
import { QUEUE_NAME } from './remote.ts';
import { moduleExecArgv, siblingModule } from '../util/module_file.ts';
import { isConnectionError, redact, redisConnection } from './redis.ts';

/** How often a stopping worker checks whether it may quit (ms). */
const STOP_POLL_MS = 250;
/** A stopping worker with nothing running quits after this long even if BullMQ has not closed (ms). */
const IDLE_STOP_MS = 3000;

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

export interface RemoteWorker {
  worker: Worker;
  /** Ids of the jobs this worker is running. */
  running: ReadonlySet<string>;
  /**
   * Stop taking jobs and resolve once the running ones have ended; with nothing running (or Redis
   * unreachable, so nothing could be reported anyway) it resolves within IDLE_STOP_MS.
   */
  stop(): Promise<void>;
}

export function startRemoteWorker(o: RemoteWorkerOptions): RemoteWorker {
  const processor = siblingModule(import.meta.url, './remote_processor');
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
      execArgv: moduleExecArgv(import.meta.url),
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
  const running = new Set<string>();
  watchWorker(worker, running, o.say);
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const each = `${plural(o.concurrency, 'job')} at once, ${plural(o.threads, 'thread')} each`;
  o.say(`worker: ${each}, on ${redact(o.url)} queue ${QUEUE_NAME}`);
  return { worker, running, stop: () => stopWorker(worker, running, o.say) };
}

/** Say what the worker does, keep `running` up to date, and tell Redis trouble once each way. */
function watchWorker(worker: Worker, running: Set<string>, say: (line: string) => void): void {
  worker.on('active', (job) => { running.add(job.id!); say(`worker: ${job.id} started`); });
  worker.on('progress', (job, p) => {
    const m = (p as { epoch?: { epoch: number; valAcc?: number } }).epoch;
    const acc = m?.valAcc !== undefined ? ` val_acc ${(m.valAcc * 100).toFixed(2)}%` : '';
    if (m) say(`worker: ${job.id} epoch ${m.epoch}${acc}`);
  });
  worker.on('completed', (job) => { running.delete(job.id!); say(`worker: ${job.id} done`); });
  worker.on('failed', (job, err) => {
    if (job) running.delete(job.id!);
    say(`worker: ${job?.id ?? '?'} failed: ${err.message}`);
  });
  let down = false;
  let last = '';
  worker.on('error', (err) => {
    // BullMQ's words for a job Redis no longer has (restarted without its data) or another worker now holds.
    const lost = /^Missing (?:key|lock) for job (\S+)\. /.exec(err.message);
    if (lost) {
      if (running.delete(lost[1])) {
        say(`worker: ${lost[1]}: Redis no longer has this job (restarted without its data?); `
          + 'result dropped, the coordinator queues it again');
      }
    } else if (isConnectionError(err)) {
      if (!down) say(`worker: Redis unreachable (${err.message}); reconnecting`);
      down = true;
    } else if (err.message !== last) say(`worker: ${(last = err.message)}`);
  });
  void worker.client.then((client) => client.on('ready', () => {
    if (down) say('worker: Redis reachable again');
    down = false;
  }));
}

async function stopWorker(worker: Worker, running: ReadonlySet<string>, say: (line: string) => void): Promise<void> {
  const n = running.size;
  const them = n === 1 ? 'job (again to quit now; it runs' : 'jobs (again to quit now; they run';
  const after = `after the running ${them} again elsewhere)`;
  say(n ? `worker: stopping ${after}` : 'worker: stopping');
  let closed = false;
  void worker.close().then(() => { closed = true; }, () => { closed = true; });
  const since = Date.now();
  for (;;) {
    await sleep(STOP_POLL_MS);
    if (closed) return;
    if ((await worker.client).status !== 'ready') {
      if (running.size) say('worker: Redis is unreachable, so the running jobs could not report: quitting now; '
        + 'they run again elsewhere');
      return;
    }
    if (!running.size && Date.now() - since > IDLE_STOP_MS) return;
  }
}
