import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTrainConfig } from '../config.ts';
import type { EpochMetrics } from '../train/types.ts';
import { Interrupted } from '../util/interrupt.ts';
import type { Job, JobResult, RunJobOptions } from './job.ts';
import { runJobs, type JobLaunch } from './run_jobs.ts';
import type { Scheduler } from './scheduler.ts';

const config = parseTrainConfig({ epochs: 2 });
const job = (n: number): Job => ({ kind: 'trial', group: 'g', name: `t${n}`, outDir: `/nowhere/t${n}`, config, db: null });
const epoch = (n: number): EpochMetrics => ({ epoch: n, loss: 1, acc: 0.5, valAcc: 0.5, lr: 1e-3, seconds: 0, imagesPerSecond: 0 });
const tick = () => new Promise((r) => setTimeout(r, 5));

/** A scheduler whose jobs take two ticks (one per epoch), stop when their signal aborts, and fail when named in `failing`. */
class FakeScheduler implements Scheduler {
  started: string[] = [];
  maxRunning = 0;
  private running = 0;
  constructor(readonly slots: number, private readonly failing = new Set<string>()) {}
  async run(j: Job, o: RunJobOptions = {}): Promise<JobResult> {
    this.started.push(j.name);
    this.maxRunning = Math.max(this.maxRunning, ++this.running);
    try {
      const epochs: EpochMetrics[] = [];
      for (let e = 1; e <= 2; e++) {
        await tick();
        if (o.signal?.aborted) throw new Interrupted(`${j.name} interrupted`);
        if (this.failing.has(j.name)) throw new Error(`${j.name}: a bug`);
        epochs.push(epoch(e));
        o.onEpoch?.(epoch(e));
      }
      return { status: 'done', epochs, seconds: 0 };
    } finally {
      this.running--;
    }
  }
  publish(): void {}
  async close(): Promise<void> {}
}

/** `n` jobs whose results' statuses go into `results`. */
const feed = (n: number, results: string[], onEpoch?: (m: EpochMetrics) => void) => {
  let i = 0;
  return (): JobLaunch | undefined => (i < n ? { job: job(i++), onEpoch, onResult: (r) => { results.push(r.status); } } : undefined);
};

test('runJobs keeps every slot busy and hands over every epoch and result', async () => {
  const sched = new FakeScheduler(2);
  const results: string[] = [];
  const epochs: number[] = [];
  await runJobs(sched, { next: feed(5, results, (m) => epochs.push(m.epoch)) });
  assert.deepEqual(sched.started, ['t0', 't1', 't2', 't3', 't4']);
  assert.equal(sched.maxRunning, 2);
  assert.deepEqual(results, ['done', 'done', 'done', 'done', 'done']);
  assert.equal(epochs.length, 10);
});

test('runJobs: a failing job stops new starts, lets the running ones end, then throws its error', async () => {
  const sched = new FakeScheduler(2, new Set(['t1']));
  const results: string[] = [];
  await assert.rejects(runJobs(sched, { next: feed(6, results) }), /t1: a bug/);
  assert.deepEqual(sched.started, ['t0', 't1']);
  assert.deepEqual(results, ['done'], 't0 finished and was reported');
});

test('runJobs: an abort stops the running jobs and starts no more; the same scheduler then runs normally', async () => {
  const sched = new FakeScheduler(2);
  const controller = new AbortController();
  const results: string[] = [];
  const next = feed(6, results, () => controller.abort());
  await assert.rejects(runJobs(sched, { next, signal: controller.signal, interrupted: () => new Interrupted('stopped with 0 done') }), /stopped with 0 done/);
  assert.deepEqual(sched.started, ['t0', 't1']);
  assert.deepEqual(results, []);

  await assert.rejects(runJobs(sched, { next: feed(1, results), signal: AbortSignal.abort() }), (err) => err instanceof Interrupted);
  assert.equal(sched.started.length, 2, 'an aborted signal starts nothing');

  const again: string[] = [];
  await runJobs(sched, { next: feed(3, again), signal: new AbortController().signal });
  assert.deepEqual(again, ['done', 'done', 'done']);
});
