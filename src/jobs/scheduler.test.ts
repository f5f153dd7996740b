/**
 * ProcessPoolScheduler and its workers when the user interrupts: an abort that arrives while the
 * workers are still starting is honoured at once (no waiting for start-up, let alone for trials),
 * and a worker whose IPC channel has already closed (it is exiting on a second Ctrl-C) makes
 * sends to it harmless instead of crashing the parent with ERR_IPC_CHANNEL_CLOSED.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTrainConfig } from '../config.ts';
import { Interrupted } from '../util/interrupt.ts';
import type { Job } from './job.ts';
import { ProcessPoolScheduler } from './scheduler.ts';

const config = parseTrainConfig({ epochs: 1, limit: 300 });
const job = (n: number, dir: string): Job => ({ kind: 'trial', group: 'g', name: `t${n}`, outDir: join(dir, `t${n}`), config, db: null });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Internals = { workers: { child: import('node:child_process').ChildProcess; exited: boolean; ready: boolean }[] };

test('an abort while the workers start rejects the jobs and close() returns at once, leaving no worker', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pool-abort-'));
  const pool = new ProcessPoolScheduler({ size: 2, threads: 2, backend: 'cpu' });
  try {
    const ac = new AbortController();
    const runs = [1, 2].map((n) => pool.run(job(n, dir), { signal: ac.signal }));
    await sleep(300); // the workers are forked and loading
    const workers = (pool as unknown as Internals).workers;
    assert.equal(workers.length, 2);
    assert.ok(workers.every((w) => !w.ready && !w.exited), 'still starting');
    const t0 = Date.now();
    ac.abort();
    for (const r of await Promise.allSettled(runs)) {
      assert.equal(r.status, 'rejected');
      assert.ok((r as PromiseRejectedResult).reason instanceof Interrupted);
    }
    await pool.close();
    assert.ok(Date.now() - t0 < 5_000, `close() took ${Date.now() - t0} ms`);
    assert.ok(workers.every((w) => w.exited), 'every worker has ended');
  } finally {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sends to a worker whose channel closed (exiting, not yet exited) are harmless', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pool-closed-'));
  // A worker that says ready, takes the job, then closes its channel and lingers (as one exiting
  // on a second Ctrl-C does between its disconnect and its exit).
  const entry = join(dir, 'worker.mjs');
  writeFileSync(entry, `process.send({ type: 'ready' }); process.once('message', () => setTimeout(() => process.disconnect(), 50)); setInterval(() => {}, 1000);\n`);
  const pool = new ProcessPoolScheduler({ size: 1, threads: 1, backend: 'cpu', entry });
  const crashes: unknown[] = [];
  const onCrash = (err: unknown) => crashes.push(err);
  process.on('uncaughtException', onCrash);
  try {
    const ac = new AbortController();
    const run = pool.run(job(1, dir), { signal: ac.signal });
    const settled = run.then(() => 'resolved', (e: Error) => e.message);
    const w = () => (pool as unknown as Internals).workers[0];
    while (!w() || w().child.connected) await sleep(20);
    assert.equal(w().exited, false, 'channel closed, process still there');
    pool.publish({ trial: 0, values: [] } as never); // a send on the closed channel
    ac.abort(); // 'cancel' on the closed channel
    await sleep(100); // Node reports a failed send on the next tick
    await pool.close();
    assert.match(await settled, /worker \d+ ended/);
    assert.deepEqual(crashes, [], 'no ERR_IPC_CHANNEL_CLOSED');
  } finally {
    process.off('uncaughtException', onCrash);
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
