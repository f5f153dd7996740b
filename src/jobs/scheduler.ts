/**
 * Where jobs run. The tuner and CV only ever see `Scheduler`; placing work elsewhere (e.g. on other
 * machines through a distributed job engine) is a new implementation of this interface:
 *
 *   run(job, o)   run one Job somewhere, resolve with its JobResult; report each epoch back
 *                 (o.onEpoch); aborting o.signal stops the job at its next batch (its checkpoint stays)
 *   publish(c)    best effort: tell running jobs how the study's other trials are doing (pruning)
 *   close()       release the workers
 *
 * Stopping is per job, by its signal: a scheduler holds no "cancelled" state, so after an
 * interrupted study the same scheduler runs the next one normally.
 *
 * A Job is plain data (config, folder, split spec, pruner spec with a snapshot of its peers), so it
 * travels by JSON; a remote implementation that cannot deliver `publish` still prunes correctly
 * against the snapshot, only with older information.
 *
 * Three implementations: `BullMQScheduler` (remote.ts: jobs on other machines through BullMQ on Redis),
 * `InProcessScheduler` (one job at a time in this process) and
 * `ProcessPoolScheduler` (P child processes sharing this process's kernel threads); `makeScheduler`
 * chooses between them.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { moduleExecArgv, siblingModule } from '../util/module_file.ts';
import { currentBackend, type BackendInfo, type BackendName } from '../backend/select.ts';
import type { Precision } from '../backend/precision.ts';
import type { FashionMnist } from '../data/dataset.ts';
import type { EpochMetrics } from '../train/types.ts';
import { UserError } from '../util/errors.ts';
import { Interrupted } from '../util/interrupt.ts';
import { JobRunner, type Job, type JobResult, type RunJobOptions } from './job.ts';
import type { PeerCurve } from '../search/types.ts';
import { BullMQScheduler } from './remote.ts';

export interface Scheduler {
  /** How many jobs it runs at once. */
  readonly slots: number;
  run(job: Job, o?: RunJobOptions): Promise<JobResult>;
  publish(curve: PeerCurve): void;
  close(): Promise<void>;
}

export class InProcessScheduler implements Scheduler {
  readonly slots = 1;
  private readonly runner: JobRunner;

  constructor(data: FashionMnist, opts: { progress?: boolean } = {}) {
    this.runner = new JobRunner(data, opts);
  }

  run(job: Job, o: RunJobOptions = {}): Promise<JobResult> {
    return this.runner.run(job, o);
  }

  publish(curve: PeerCurve): void {
    this.runner.publish(curve);
  }

  async close(): Promise<void> {
    this.runner.close();
  }
}

export interface SchedulerChoice {
  /** Jobs at once: 1 runs them one by one in this process, more in that many worker processes. */
  parallel: number;
  /** The training data, loaded once (the in-process runner trains on it; workers load their own). */
  data: FashionMnist;
  /** Where workers find the data (FMNIST_DATA_DIR for them). */
  dataDir?: string;
  /** The backend workers start, with its threads shared between them (default: the one this process started). */
  backend?: BackendInfo;
  /** Send jobs to a BullMQ queue on Redis instead (remote.ts); `parallel` is then the jobs queued at once. */
  remote?: RemoteChoice;
}

/** Where remote jobs go: the Redis URL, the shared artifacts folder, how long Redis may stay away (s). */
export interface RemoteChoice { url: string; artifacts?: string; waitSeconds?: number; say?: (line: string) => void }

/**
 * The scheduler for `parallel` jobs at once. The one thread rule: workers start the backend this
 * process runs and share its threads evenly, ⌊threads/parallel⌋ each (at least one). Without a
 * started backend (a library caller that never chose one) jobs run in this process.
 *
 * Worker processes pay off on every backend for LeNet-5: wasm runs one thread per instance, and on
 * native a LeNet-5 step is dominated by single-threaded JS work (measured on 2 cores: 10.4 s/epoch
 * with 1 oneDNN thread, 10.9 s with 2), so two one-thread processes train about twice the epochs
 * per hour of one two-thread process.
 */
export function makeScheduler(o: SchedulerChoice): Scheduler {
  if (o.remote) return new BullMQScheduler({ ...o.remote, data: o.data, slots: o.parallel > 1 ? o.parallel : 8 });
  const backend = o.backend ?? currentBackend();
  if (o.parallel <= 1 || !backend) return new InProcessScheduler(o.data);
  return new ProcessPoolScheduler({ size: o.parallel, threads: backend.threads, backend: backend.name, precision: backend.precision, dataDir: o.dataDir });
}

// ---- child-process pool -----------------------------------------------------------------------

/** Messages parent → worker. */
export type ToWorker =
  | { type: 'job'; id: number; job: Job }
  | { type: 'cancel'; id: number }
  | { type: 'peer'; curve: PeerCurve }
  | { type: 'exit' };

/** Messages worker → parent. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'epoch'; id: number; m: EpochMetrics }
  | { type: 'result'; id: number; result: JobResult }
  | { type: 'error'; id: number; message: string; user: boolean; exitCode?: number }
  | { type: 'fatal'; message: string };

interface Pending {
  id: number;
  job: Job;
  onEpoch?: (m: EpochMetrics) => void;
  /** Settle the job's promise (and stop listening to its signal). */
  resolve: (r: JobResult) => void;
  reject: (e: Error) => void;
}

interface Worker {
  child: ChildProcess;
  ready: boolean;
  current?: Pending;
  exited: boolean;
}

export interface PoolOptions {
  size: number;
  /** Total kernel threads to share between workers (each gets ⌊threads/size⌋, at least 1). */
  threads: number;
  backend: BackendName;
  /** The precision this process resolved (workers use the same, so every trial computes alike). */
  precision?: Precision;
  dataDir?: string;
  /** Worker entry module (tests may substitute one). */
  entry?: string;
}

export class ProcessPoolScheduler implements Scheduler {
  readonly slots: number;
  private readonly workers: Worker[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closing = false;

  constructor(private readonly o: PoolOptions) {
    if (!Number.isInteger(o.size) || o.size < 1) throw new UserError(`the pool size must be a whole number ≥ 1, got ${o.size}`);
    this.slots = o.size;
  }

  /** Kernel threads each worker gets. */
  get threadsPerWorker(): number {
    return Math.max(1, Math.floor(this.o.threads / this.o.size));
  }

  /** The backend the workers start. */
  get backend(): BackendName {
    return this.o.backend;
  }

  run(job: Job, { onEpoch, signal }: RunJobOptions = {}): Promise<JobResult> {
    if (this.closing) return Promise.reject(new Error('scheduler is closed'));
    if (signal?.aborted) return Promise.reject(new Interrupted(`${job.name}: interrupted before it started`));
    return new Promise((resolve, reject) => {
      const p: Pending = {
        id: this.nextId++, job, onEpoch,
        resolve: (r) => { signal?.removeEventListener('abort', stop); resolve(r); },
        reject: (e) => { signal?.removeEventListener('abort', stop); reject(e); },
      };
      // Queued: drop it. Running: the worker stops it at its next batch and reports it interrupted.
      const stop = () => {
        const queued = this.queue.indexOf(p);
        if (queued >= 0) { this.queue.splice(queued, 1); p.reject(new Interrupted(`${job.name}: interrupted before it started`)); return; }
        const w = this.workers.find((x) => x.current === p && !x.exited);
        if (w) this.send(w, { type: 'cancel', id: p.id });
      };
      signal?.addEventListener('abort', stop, { once: true });
      this.queue.push(p);
      this.dispatch();
    });
  }

  publish(curve: PeerCurve): void {
    for (const w of this.workers) if (!w.exited && w.ready) this.send(w, { type: 'peer', curve });
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('scheduler closed before the job started'));
    await Promise.all(this.workers.filter((w) => !w.exited).map((w) => new Promise<void>((done) => {
      w.child.once('exit', () => done());
      // Still starting: it holds no job and cannot read messages yet, so it is stopped now rather
      // than left to finish loading (an abort during start-up is honoured at once).
      if (!w.ready) w.child.kill('SIGTERM');
      else if (w.current) w.child.kill('SIGINT');
      else this.send(w, { type: 'exit' });
      // A worker that does not stop within 60 s (e.g. stuck in a long kernel) is ended.
      setTimeout(() => { if (!w.exited) w.child.kill('SIGKILL'); }, 60_000).unref();
    })));
  }

  /**
   * Best effort: a worker whose channel has closed (it is exiting, e.g. on the user's second
   * Ctrl-C) gets nothing — its 'exit' handler settles its job. Node reports a send on a closed
   * channel asynchronously (ERR_IPC_CHANNEL_CLOSED as an 'error' event, which would crash the
   * process), so the channel is checked first and the failure taken by the callback.
   */
  private send(w: Worker, msg: ToWorker): void {
    if (w.exited || !w.child.connected) return;
    try {
      w.child.send(msg, () => { /* closed meanwhile: the same as above */ });
    } catch {
      // The worker is gone; its 'exit' handler settles its job.
    }
  }

  private dispatch(): void {
    for (const w of this.workers) {
      if (!this.queue.length) return;
      if (w.exited || !w.ready || w.current) continue;
      const p = this.queue.shift()!;
      w.current = p;
      this.send(w, { type: 'job', id: p.id, job: p.job });
    }
    // Start workers for what is still queued (all at once: start-up is seconds), up to the pool size.
    const alive = this.workers.filter((x) => !x.exited);
    const starting = alive.filter((x) => !x.ready).length;
    for (let i = 0; i < Math.min(this.queue.length - starting, this.o.size - alive.length); i++) this.spawn();
  }

  private spawn(): Worker {
    const entry = this.o.entry ?? siblingModule(import.meta.url, './worker_entry');
    const child = fork(entry, [], {
      execArgv: moduleExecArgv(import.meta.url),
      env: {
        ...process.env,
        FMNIST_THREADS: String(this.threadsPerWorker),
        FMNIST_BACKEND: this.o.backend,
        ...(this.o.precision ? { FMNIST_PRECISION: this.o.precision } : {}),
        ...(this.o.dataDir ? { FMNIST_DATA_DIR: this.o.dataDir } : {}),
      },
      // stdout → our stderr: a worker must never write into the parent's --json document.
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    child.stdout?.pipe(process.stderr);
    const w: Worker = { child, ready: false, exited: false };
    this.workers.push(w);
    child.on('message', (msg: FromWorker) => this.onMessage(w, msg));
    child.on('error', (err) => {
      // A failed send or kill on a worker that is going away: its 'exit' settles its job. Only a
      // worker that never started (no pid) gets no 'exit', so its jobs are failed here.
      if (child.pid !== undefined || w.exited) return;
      w.exited = true;
      const p = w.current;
      w.current = undefined;
      p?.reject(new Error(`cannot start a worker: ${err.message}`));
      for (const q of this.queue.splice(0)) q.reject(new Error(`cannot start a worker: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      w.exited = true;
      const p = w.current;
      w.current = undefined;
      if (p) p.reject(new Error(`worker ${child.pid} ended (${signal ?? `exit code ${code}`}) while running ${p.job.name}`));
      if (!this.closing) this.dispatch();
    });
    return w;
  }

  private onMessage(w: Worker, msg: FromWorker): void {
    switch (msg.type) {
      case 'ready':
        w.ready = true;
        this.dispatch();
        return;
      case 'fatal':
        // Start-up failed (no backend, no data): every job would fail the same way.
        for (const p of this.queue.splice(0)) p.reject(new UserError(`worker: ${msg.message}`));
        return;
      case 'epoch':
        if (w.current?.id === msg.id) w.current.onEpoch?.(msg.m);
        return;
      case 'result':
      case 'error': {
        const p = w.current;
        if (!p || p.id !== msg.id) return;
        w.current = undefined;
        if (msg.type === 'result') p.resolve(msg.result);
        else p.reject(msg.user ? new UserError(msg.message, msg.exitCode) : new Error(msg.message));
        this.dispatch();
      }
    }
  }
}
