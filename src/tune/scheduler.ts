/**
 * Where jobs run. The tuner and CV only ever see `Scheduler`; placing work elsewhere (e.g. on other
 * machines through a distributed job engine) is a new implementation of this interface:
 *
 *   run(job)      run one Job somewhere, resolve with its JobResult; report each epoch back
 *   publish(c)    best effort: tell running jobs how the study's other trials are doing (pruning)
 *   cancel()      ask running jobs to stop at their next batch (their checkpoints stay)
 *   close()       release the workers
 *
 * A Job is plain data (config, folder, split spec, pruner spec with a snapshot of its peers), so it
 * travels by JSON; a remote implementation that cannot deliver `publish` still prunes correctly
 * against the snapshot, only with older information.
 *
 * Two implementations: `InProcessScheduler` (one job at a time in this process) and
 * `ProcessPoolScheduler` (P child processes, each with threads/P kernel threads).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BackendName } from '../backend/select.ts';
import type { FashionMnist } from '../data/dataset.ts';
import { interruption } from '../train/train.ts';
import type { EpochMetrics } from '../train/types.ts';
import { UserError } from '../util/errors.ts';
import { JobRunner, type Job, type JobResult } from './job.ts';
import type { PeerCurve } from './types.ts';

export interface Scheduler {
  /** How many jobs it runs at once. */
  readonly slots: number;
  run(job: Job, onEpoch?: (m: EpochMetrics) => void): Promise<JobResult>;
  publish(curve: PeerCurve): void;
  cancel(): void;
  close(): Promise<void>;
}

export class InProcessScheduler implements Scheduler {
  readonly slots = 1;
  private readonly runner: JobRunner;

  constructor(data: FashionMnist, opts: { progress?: boolean } = {}) {
    this.runner = new JobRunner(data, opts);
  }

  run(job: Job, onEpoch?: (m: EpochMetrics) => void): Promise<JobResult> {
    return this.runner.run(job, onEpoch);
  }

  publish(curve: PeerCurve): void {
    this.runner.publish(curve);
  }

  cancel(): void {
    interruption.requested = true;
  }

  async close(): Promise<void> {
    this.runner.close();
  }
}

// ---- child-process pool -----------------------------------------------------------------------

/** Messages parent → worker. */
export type ToWorker =
  | { type: 'job'; id: number; job: Job }
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
    if (!Number.isInteger(o.size) || o.size < 1) throw new UserError(`--parallel must be a whole number ≥ 1, got ${o.size}`);
    this.slots = o.size;
  }

  /** Kernel threads each worker gets. */
  get threadsPerWorker(): number {
    return Math.max(1, Math.floor(this.o.threads / this.o.size));
  }

  run(job: Job, onEpoch?: (m: EpochMetrics) => void): Promise<JobResult> {
    if (this.closing) return Promise.reject(new Error('scheduler is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, onEpoch, resolve, reject });
      this.dispatch();
    });
  }

  publish(curve: PeerCurve): void {
    for (const w of this.workers) if (!w.exited && w.ready) this.send(w, { type: 'peer', curve });
  }

  cancel(): void {
    // Each busy worker stops at its next batch, keeps its checkpoint, and reports 'interrupted'.
    for (const w of this.workers) if (!w.exited && w.current) w.child.kill('SIGINT');
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('scheduler closed before the job started'));
    await Promise.all(this.workers.filter((w) => !w.exited).map((w) => new Promise<void>((done) => {
      w.child.once('exit', () => done());
      if (w.current) w.child.kill('SIGINT');
      else this.send(w, { type: 'exit' });
      // A worker that does not stop within 60 s (e.g. stuck in a long kernel) is ended.
      setTimeout(() => { if (!w.exited) w.child.kill('SIGKILL'); }, 60_000).unref();
    })));
  }

  private send(w: Worker, msg: ToWorker): void {
    try {
      w.child.send(msg);
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
    const entry = this.o.entry ?? fileURLToPath(new URL('./worker_entry.ts', import.meta.url));
    const child = fork(entry, [], {
      // tsx by absolute URL, so workers start whatever the current directory is.
      execArgv: ['--import', import.meta.resolve('tsx')],
      env: {
        ...process.env,
        FMNIST_THREADS: String(this.threadsPerWorker),
        FMNIST_BACKEND: this.o.backend,
        ...(this.o.dataDir ? { FMNIST_DATA_DIR: this.o.dataDir } : {}),
      },
      // stdout → our stderr: a worker must never write into the parent's --json document.
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    child.stdout?.pipe(process.stderr);
    const w: Worker = { child, ready: false, exited: false };
    this.workers.push(w);
    child.on('message', (msg: FromWorker) => this.onMessage(w, msg));
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
