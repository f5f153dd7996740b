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
import type { Scheduler } from './scheduler.ts';

export const QUEUE_NAME = 'fmnist-jobs';
export const REDIS_ENV = 'FMNIST_REDIS';
/** Run folders up to this size travel in the job's return value (through Redis); larger ones need --artifacts. */
export const INLINE_LIMIT = 32 * 1024 * 1024;
/** Redis key of a study's live trial curves (a hash: trial number → PeerCurve JSON). */
export const peersKey = (group: string) => `fmnist:peers:${group}`;

/** BullMQ connection options for a redis:// or rediss:// (TLS) URL, with user/password and db. */
export function redisConnection(url: string): { url: string; maxRetriesPerRequest: null } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`--redis: not a URL: '${redact(url)}' (use redis://:PASSWORD@HOST:PORT or rediss:// for TLS)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new UserError(`--redis: use a redis:// or rediss:// URL, got '${u.protocol}'`);
  return { url, maxRetriesPerRequest: null };
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/** One connection attempt with a time limit: a wrong host, port or password is one clear message instead of endless reconnecting. */
export async function probeRedis(url: string, timeoutMs = 10_000): Promise<void> {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let why = '';
  probe.on('error', (e: Error) => { why ||= e.message; });
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw new UserError(`cannot reach Redis at ${redact(url)}: ${why || (err as Error).message} (is it running, and are the host, port and password right?)`);
  } finally {
    probe.disconnect();
  }
}

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
  say?: (line: string) => void;
}

export class BullMQScheduler implements Scheduler {
  readonly slots: number;
  private readonly epochs = new Map<string, (m: EpochMetrics) => void>();
  private readonly runner: JobRunner;
  private readonly stores = new Map<string, RunStore>();
  private group?: string;

  private conn?: { queue: Queue; events: QueueEvents };
  private connecting?: Promise<{ queue: Queue; events: QueueEvents }>;

  constructor(private readonly o: BullMQOptions) {
    redisConnection(o.url);
    this.slots = o.slots ?? 8;
    this.runner = new JobRunner(o.data);
  }

  /**
   * Connect (once): first a plain probe with a time limit, so a wrong host, port or password is one
   * clear message instead of BullMQ's endless reconnecting, then the queue and its event stream.
   */
  ready(timeoutMs = 10_000): Promise<{ queue: Queue; events: QueueEvents }> {
    this.connecting ??= (async () => {
      await probeRedis(this.o.url, timeoutMs);
      const connection = redisConnection(this.o.url);
      const queue = new Queue(QUEUE_NAME, { connection });
      const events = new QueueEvents(QUEUE_NAME, { connection });
      events.on('progress', ({ jobId, data }) => {
        const m = (data as { epoch?: EpochMetrics } | null)?.epoch;
        if (m && Number.isInteger(m.epoch)) this.epochs.get(jobId)?.(m);
      });
      // Connection trouble later (Redis restarting) is reported once per kind, not thrown into the event loop.
      let last = '';
      const warn = (e: Error) => { if (e.message !== last) this.o.say?.(`redis: ${(last = e.message)}`); };
      queue.on('error', warn);
      events.on('error', warn);
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
    const { queue, events } = await this.ready();
    let bull = await queue.getJob(id);
    const state = bull ? await bull.getState() : undefined;
    if (bull && state === 'failed') {
      // Failed before (e.g. refused by a worker with other data): the user has fixed it and reruns.
      await bull.remove();
      bull = undefined;
    }
    if (!bull) {
      bull = await queue.add(job.kind, payloadOf(job, this.o.data), {
        jobId: id, attempts: 3, backoff: { type: 'fixed', delay: 2000 },
        removeOnComplete: { age: 7 * 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 },
      });
    }
    if (onEpoch) this.epochs.set(id, onEpoch);
    try {
      const value = await new Promise<RemoteResult>((resolveJob, rejectJob) => {
        const stop = () => rejectJob(new Interrupted(`${job.name}: no longer waited for (it stays queued; rerun to collect it)`));
        signal?.addEventListener('abort', stop, { once: true });
        bull!.waitUntilFinished(events)
          .then((v: unknown) => resolveJob(v as RemoteResult), rejectJob)
          .finally(() => signal?.removeEventListener('abort', stop));
      });
      return await this.collect(job, value);
    } catch (err) {
      if (err instanceof Interrupted || err instanceof UserError) throw err;
      throw new UserError(`remote job ${id} failed: ${(err as Error).message}`);
    } finally {
      this.epochs.delete(id);
    }
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
    store.finishRun(id, r.status === 'pruned' ? 'pruned' : r.status === 'failed' ? 'failed' : 'done', { error: r.error });
  }

  publish(curve: PeerCurve): void {
    // Best effort, like the pool's: running trials read the hash every few seconds.
    void (async () => {
      try {
        if (!this.conn) return;
        const client = (await this.conn.queue.client) as unknown as Redis;
        // A curve carries no study id: it goes to the study whose trials this coordinator last sent.
        if (!this.group) return;
        await client.hset(peersKey(this.group), String(curve.number), JSON.stringify(curve));
        await client.expire(peersKey(this.group), 7 * 24 * 3600);
      } catch { /* pruning then uses the snapshot sent with the job */ }
    })();
  }

  async close(): Promise<void> {
    this.runner.close();
    for (const s of this.stores.values()) s.close();
    if (this.conn) {
      await this.conn.events.close();
      await this.conn.queue.close();
    }
  }
}

/** For tests and `fmnist worker`: remove a leftover artifacts folder. */
export function removeArtifacts(root: string, rel: string): void {
  const dir = resolve(root, rel);
  if (dir.startsWith(resolve(root) + '/')) rmSync(dir, { recursive: true, force: true });
}
