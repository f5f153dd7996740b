/**
 * Jobs on other machines through BullMQ on Redis: the third `Scheduler` (see scheduler.ts).
 *
 * The coordinator (`fmnist tune|cv|study --redis URL`) puts each job on one BullMQ queue as a
 * validated payload — the job as plain data without any path, plus the coordinator's data
 * checksums and project version — with the job id `<group>.<name>`, so a job is queued once however
 * often the coordinator asks (BullMQ ignores an add with an existing id). Workers (`fmnist worker`,
 * remote_worker.ts) run each job as an ordinary training run in their own folder, in a sandboxed
 * child process, and return the run folder's files (base64, up to INLINE_LIMIT bytes) in the job's
 * return value; larger folders go through a shared `--artifacts` folder. The coordinator writes the
 * files into the job's run folder and records the run in its store exactly as a local run
 * (JobRunner's "found finished" path), keyed by the folder: a job delivered twice is recorded once.
 *
 * Pruning: epochs reach the coordinator as job progress (QueueEvents); `publish` writes each
 * trial's curve into a Redis hash per study that running trials read every few seconds.
 *
 * Redis going away: the coordinator does not rely on events alone but reads each job's state every
 * few seconds, so a job Redis lost (restarted without persistence, evicted) is queued again, and a
 * result lost before it was collected is trained again (a worker that still has the finished folder
 * returns it at once). While Redis is unreachable it waits, up to --redis-wait seconds (RedisWatch in
 * redis.ts), then stops with exit 2; finished runs are saved, so a rerun continues.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { z } from 'zod';
import type { FashionMnist } from '../data/dataset.ts';
import { RunStore } from '../store/run_store.ts';
import { isFinished, packageVersion } from '../train/run_folder.ts';
import { lockFolder } from '../util/folder_lock.ts';
import type { EpochMetrics } from '../train/types.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import { Interrupted } from '../util/interrupt.ts';
import type { PeerCurve } from '../search/types.ts';
import { JobRunner, type Job, type JobResult, type RunJobOptions } from './job.ts';
import {
  isConnectionError, probeRedis, redact, redisConnection, RedisWatch, REDIS_WAIT_SECONDS, withTimeout,
} from './redis.ts';
import type { Scheduler } from './scheduler.ts';

export const QUEUE_NAME = 'fmnist-jobs';
/** Run folders up to this size travel in the job's return value (through Redis); larger ones need --artifacts. */
export const INLINE_LIMIT = 32 * 1024 * 1024;
/** Redis key of a study's live trial curves (a hash: trial number → PeerCurve JSON). */
export const peersKey = (group: string) => `fmnist:peers:${group}`;
/** How often the coordinator reads a waiting job's state (ms): finds jobs Redis lost and events missed while away. */
const POLL_MS = 2000;
/** A Redis call without an answer for this long counts as Redis being away (ms). */
const CALL_MS = 5000;
/** How long closing may wait for Redis before the connections are dropped instead (ms). */
const CLOSE_MS = 2000;

// ---- the payload ------------------------------------------------------------------------------

/** Group and job names: also folder names on the worker, so nothing that could leave its folder. */
const NAME = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/, 'letters, digits, - _ and inner dots only').max(128);
const int = z.number().int();
const PeerSchema = z.strictObject({ number: int.min(0), state: z.enum(['running', 'done', 'pruned', 'failed']), values: z.array(z.number().nullable().transform((v) => v ?? NaN)).max(10000) });

export const PayloadSchema = z.strictObject({
  v: z.literal(1),
  version: z.string().max(64),
  data: z.array(z.strictObject({ file: z.string().regex(/^[a-z0-9-]+$/).max(64), sha256: z.string().regex(/^[0-9a-f]{64}$/) })).min(1).max(4),
  job: z.strictObject({
    kind: z.enum(['trial', 'fold', 'train']),
    group: NAME,
    name: NAME,
    // Checked by the strict TrainConfig schema on the worker (parseTrainConfig).
    config: z.record(z.string(), z.unknown()),
    split: z.strictObject({ kind: z.literal('kfold'), k: int.min(2).max(1000), fold: int.min(0), seed: int.min(0), limit: int.min(10).nullable() }).optional(),
    prune: z.strictObject({
      number: int.min(0),
      spec: z.discriminatedUnion('kind', [
        z.strictObject({ kind: z.literal('none') }),
        z.strictObject({ kind: z.literal('median'), startupTrials: int.min(0), warmupEpochs: int.min(0) }),
        z.strictObject({ kind: z.literal('hyperband'), minEpochs: int.min(1), maxEpochs: int.min(1), eta: z.number().min(2) }),
      ]),
      peers: z.array(PeerSchema).max(100000),
    }).optional(),
  }),
});
export type Payload = z.infer<typeof PayloadSchema>;

/** What a worker returns: the result, and the run folder's files inline or in the shared artifacts folder. */
export interface RemoteResult {
  result: JobResult;
  host: string;
  /** File name → base64 content (the run folder's top-level files). */
  files?: Record<string, string>;
  /** Relative to the shared --artifacts folder: group/name. */
  artifacts?: string;
}

export const jobIdOf = (group: string, name: string) => `${group}.${name}`;

export function payloadOf(job: Job, data: FashionMnist): Payload {
  return {
    v: 1,
    version: packageVersion(),
    data: data.files.map(({ file, sha256 }) => ({ file, sha256 })),
    job: { kind: job.kind, group: job.group, name: job.name, config: job.config as unknown as Record<string, unknown>, split: job.split, prune: job.prune },
  };
}

/** The run folder's top-level files (no checkpoints, no lock), for the trip back. */
export function runFolderFiles(dir: string): { name: string; size: number }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name !== 'writer.lock' && e.name !== 'checkpoint.json' && !e.name.endsWith('.tmp'))
    .map((e) => ({ name: e.name, size: statSync(join(dir, e.name)).size }));
}

/** Write returned files into a run folder: the model first, run.json last (it is what marks the run finished). */
export function writeReturnedFiles(dir: string, files: Record<string, Buffer>): void {
  mkdirSync(dir, { recursive: true });
  const names = Object.keys(files).sort((a, b) => Number(a === 'run.json') - Number(b === 'run.json'));
  for (const name of names) {
    if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith('.')) throw new Error(`refusing returned file name '${name}'`);
    writeFileAtomic(join(dir, name), files[name]);
  }
}

// ---- the coordinator's scheduler --------------------------------------------------------------

export interface BullMQOptions {
  url: string;
  /** The coordinator's training data: its checksums go with every job; results are recorded through it. */
  data: FashionMnist;
  /** Jobs in the queue at once (default 8). */
  slots?: number;
  /** Shared folder for run folders above INLINE_LIMIT. */
  artifacts?: string;
  /** How long Redis may stay unreachable before the coordinator stops (s, default REDIS_WAIT_SECONDS). */
  waitSeconds?: number;
  say?: (line: string) => void;
}

/** A Redis call that got no answer (Redis away): the caller looks again later. */
const AWAY = Symbol('away');

export class BullMQScheduler implements Scheduler {
  readonly slots: number;
  private readonly epochs = new Map<string, (m: EpochMetrics) => void>();
  /** Wakes a job's waiting loop early: an event said it finished. */
  private readonly nudges = new Map<string, () => void>();
  private readonly runner: JobRunner;
  private readonly stores = new Map<string, RunStore>();
  private readonly watch: RedisWatch;
  private group?: string;
  /** The connection's last error, to say why Redis is away. */
  private lastError?: string;

  private conn?: { queue: Queue; events: QueueEvents };
  private connecting?: Promise<{ queue: Queue; events: QueueEvents }>;

  constructor(private readonly o: BullMQOptions) {
    redisConnection(o.url);
    this.slots = o.slots ?? 8;
    this.runner = new JobRunner(o.data);
    this.watch = new RedisWatch(o.url, o.waitSeconds ?? REDIS_WAIT_SECONDS, o.say);
  }

  /**
   * Connect (once): first a plain probe with a time limit, so a wrong host, port or password is one
   * clear message instead of BullMQ's endless reconnecting (it also warns when Redis' settings can
   * lose jobs), then the queue and its event stream.
   */
  ready(timeoutMs = 10_000): Promise<{ queue: Queue; events: QueueEvents }> {
    this.connecting ??= (async () => {
      const { warning } = await probeRedis(this.o.url, timeoutMs);
      if (warning) this.o.say?.(warning);
      const connection = redisConnection(this.o.url);
      const queue = new Queue(QUEUE_NAME, { connection });
      const events = new QueueEvents(QUEUE_NAME, { connection });
      events.on('progress', ({ jobId, data }) => {
        const m = (data as { epoch?: EpochMetrics } | null)?.epoch;
        if (m && Number.isInteger(m.epoch)) this.epochs.get(jobId)?.(m);
      });
      events.on('completed', ({ jobId }) => this.nudges.get(jobId)?.());
      events.on('failed', ({ jobId }) => this.nudges.get(jobId)?.());
      // Connection trouble (Redis restarting) is told by the watch, once; these would repeat it every second.
      queue.on('error', (e) => { this.lastError = e.message; });
      events.on('error', () => {});
      await events.waitUntilReady();
      this.conn = { queue, events };
      return this.conn;
    })();
    return this.connecting;
  }

  async run(job: Job, { onEpoch, signal }: RunJobOptions = {}): Promise<JobResult> {
    if (signal?.aborted) throw new Interrupted(`${job.name}: interrupted before it started`);
    // Already here (a previous coordinator collected it): record it, train nothing.
    if (isFinished(job.outDir)) return this.runner.run({ ...job, prune: undefined });
    const id = jobIdOf(job.group, job.name);
    if (job.kind === 'trial') this.group = job.group;
    await this.ready();
    if (onEpoch) this.epochs.set(id, onEpoch);
    try {
      return await this.collect(job, await this.follow(job, id, signal));
    } catch (err) {
      if (err instanceof Interrupted || err instanceof UserError) throw err;
      throw new UserError(`remote job ${id} failed: ${(err as Error).message}`);
    } finally {
      this.epochs.delete(id);
    }
  }

  /**
   * Queue the job and wait for its result, looking at it in Redis every POLL_MS (sooner when an
   * event says it ended): a job Redis no longer has (it restarted without its data, or evicted it)
   * is queued again, whether it was waiting, running or finished but not yet collected.
   */
  private async follow(job: Job, id: string, signal?: AbortSignal): Promise<RemoteResult> {
    let seen = false;
    for (;;) {
      const r = await this.look(job, id, seen);
      if (r !== AWAY) {
        if (r) return r;
        seen = true;
      }
      await this.nap(id, job, signal);
    }
  }

  /**
   * One look at the job in Redis: its result once it has finished; queued (again) when Redis does
   * not have it. `seen`: an earlier look of this command found it, so a failure now is this run's.
   */
  private async look(job: Job, id: string, seen: boolean): Promise<RemoteResult | undefined | typeof AWAY> {
    const state = await this.call((q) => q.getJobState(id));
    if (state === AWAY) return AWAY;
    if (state === 'completed' || state === 'failed') {
      const bull = await this.call((q) => q.getJob(id));
      // Gone between the two calls: the next look queues it again.
      if (bull === AWAY || !bull) return bull === AWAY ? AWAY : undefined;
      if (state === 'completed') return bull.returnvalue as RemoteResult;
      if (seen) throw new UserError(`remote job ${id} failed: ${bull.failedReason}`);
      // Failed before this command ran (e.g. refused by a worker with other data): the user has fixed it and reruns.
      if ((await this.call(() => bull.remove())) === AWAY) return AWAY;
    } else if (state !== 'unknown') {
      return undefined;
    } else if (seen) {
      this.o.say?.(`redis: ${id} is no longer in Redis (restarted without its data?): queued again`);
    }
    return (await this.add(job, id)) === AWAY ? AWAY : undefined;
  }

  private add(job: Job, id: string): Promise<unknown | typeof AWAY> {
    // An id Redis already holds is not added twice, so adding again after a lost answer is safe.
    return this.call((q) => q.add(job.kind, payloadOf(job, this.o.data), {
      jobId: id, attempts: 3, backoff: { type: 'fixed', delay: 2000 },
      removeOnComplete: { age: 7 * 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 },
    }));
  }

  /**
   * One Redis call with a time limit, or AWAY when Redis does not answer (nothing is sent while the
   * client is reconnecting, so no commands pile up); the watch bounds how long that may last.
   */
  private async call<T>(fn: (queue: Queue) => Promise<T>): Promise<T | typeof AWAY> {
    const { queue } = await this.ready();
    const client = await queue.client;
    if (client.status !== 'ready') {
      this.watch.failed(this.lastError ?? `connection ${client.status}`);
      return AWAY;
    }
    try {
      const v = await withTimeout(fn(queue), CALL_MS);
      this.lastError = undefined;
      this.watch.ok();
      return v;
    } catch (err) {
      // Redis there but refusing (out of memory under noeviction, no permission, …) is no reason to wait.
      if ((err as Error).name === 'ReplyError' && !isConnectionError(err)) {
        const why = (err as Error).message.replace(/ script: .*$/s, '');
        throw new UserError(`Redis at ${redact(this.o.url)} refused a command: ${why}`);
      }
      if (!isConnectionError(err)) throw err;
      this.watch.failed((err as Error).message);
      return AWAY;
    }
  }

  /** Wait POLL_MS, less if an event says the job ended; an abort stops the wait (the job stays queued). */
  private nap(id: string, job: Job, signal?: AbortSignal): Promise<void> {
    return new Promise((resolveNap, rejectNap) => {
      const end = () => {
        clearTimeout(timer);
        this.nudges.delete(id);
        signal?.removeEventListener('abort', stop);
      };
      const wake = () => { end(); resolveNap(); };
      const stop = () => {
        end();
        rejectNap(new Interrupted(`${job.name}: no longer waited for (it stays queued; rerun to collect it)`));
      };
      const timer = setTimeout(wake, POLL_MS);
      this.nudges.set(id, wake);
      if (signal?.aborted) stop();
      else signal?.addEventListener('abort', stop, { once: true });
    });
  }

  /** Bring a finished job's files into its run folder and record it in the store, once. */
  private async collect(job: Job, v: RemoteResult): Promise<JobResult> {
    let files: Record<string, Buffer> | undefined;
    if (v.files) files = Object.fromEntries(Object.entries(v.files).map(([k, b]) => [k, Buffer.from(b, 'base64')]));
    else if (v.artifacts) {
      if (!this.o.artifacts) throw new UserError(`${job.name}: its run folder is above ${INLINE_LIMIT >> 20} MB and was left in the worker's --artifacts folder (${v.artifacts}); pass the same shared folder as --artifacts here`);
      const dir = resolve(this.o.artifacts, v.artifacts);
      if (!dir.startsWith(resolve(this.o.artifacts) + '/')) throw new Error(`refusing artifacts path '${v.artifacts}'`);
      files = Object.fromEntries(runFolderFiles(dir).map((f) => [f.name, readFileSync(join(dir, f.name))]));
    }
    if (files && Object.keys(files).length) {
      const lock = lockFolder(job.outDir, 'train');
      try {
        writeReturnedFiles(job.outDir, files);
      } finally {
        lock.release();
      }
    }
    if (isFinished(job.outDir)) {
      const r = await this.runner.run({ ...job, prune: undefined });
      return { ...v.result, status: r.status };
    }
    this.record(job, v.result);
    return v.result;
  }

  /** A failed or early-pruned job has no finished folder: its store row straight from the result (once per folder). */
  private record(job: Job, r: JobResult): void {
    if (!job.db) return;
    let store = this.stores.get(job.db);
    if (!store) { store = RunStore.open(job.db); this.stores.set(job.db, store); }
    if (store.listRuns({ group: job.group }).some((row) => row.outDir === job.outDir && row.status !== 'running')) return;
    const id = store.startRun({ kind: job.kind, group: job.group, name: job.name, outDir: job.outDir, config: job.config, meta: { remote: true } });
    for (const m of r.epochs) store.appendEpoch(id, m);
    const status = r.status === 'pruned' ? 'pruned' : r.status === 'failed' ? 'failed' : 'done';
    store.finishRun(id, status, { error: r.error, seconds: r.seconds });
  }

  publish(curve: PeerCurve): void {
    // Best effort, like the pool's: running trials read the hash every few seconds.
    void (async () => {
      try {
        if (!this.conn) return;
        const client = (await this.conn.queue.client) as unknown as Redis;
        // A curve carries no study id: it goes to the study whose trials this coordinator last sent.
        // Nothing is sent while Redis is away: the next curve of the trial carries the same values and more.
        if (!this.group || client.status !== 'ready') return;
        await client.hset(peersKey(this.group), String(curve.number), JSON.stringify(curve));
        await client.expire(peersKey(this.group), 7 * 24 * 3600);
      } catch { /* pruning then uses the snapshot sent with the job */ }
    })();
  }

  async close(): Promise<void> {
    this.runner.close();
    for (const s of this.stores.values()) s.close();
    if (!this.conn) return;
    const { queue, events } = this.conn;
    // Closing must not wait on an unreachable Redis: after CLOSE_MS the connections are dropped instead.
    await withTimeout(Promise.all([events.close(), queue.close()]), CLOSE_MS).catch(async () => {
      await Promise.allSettled([events.disconnect(), queue.disconnect()]);
    });
  }
}

/** For tests and `fmnist worker`: remove a leftover artifacts folder. */
export function removeArtifacts(root: string, rel: string): void {
  const dir = resolve(root, rel);
  if (dir.startsWith(resolve(root) + '/')) rmSync(dir, { recursive: true, force: true });
}
