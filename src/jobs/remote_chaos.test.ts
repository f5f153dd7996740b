/**
 * Chaos: a small distributed tune (`fmnist tune --redis`, real workers, the test's own redis-server
 * on 127.0.0.1) while a fixed schedule, driven by the study's own progress, does to it what
 * production does:
 *
 *   after 1 trial collected   kill -9 Redis, start it again with its append-only file (data kept)
 *   after 3 trials collected  kill -9 Redis, start it again without persistence (every job lost)
 *   next job worker A starts  kill -9 worker A (its job must run again elsewhere); start worker C
 *   next job worker B starts  SIGTERM worker B (it finishes that job, then exits)
 *
 * Afterwards: the command exited 0, every trial is recorded exactly once, no run folder is
 * half-written, and no worker process (nor a worker's training child) is left behind. Every wait
 * has a time limit that fails the test instead of hanging it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isFinished } from '../train/run_folder.ts';
import {
  childrenOf, exitWithin, killAll, running, runsIn, skipWithoutRedis as skip, spawnCli, TestRedis, waitFor, type Cli,
} from './testing.ts';

const TRIALS = 8;
const dir = mkdtempSync(join(tmpdir(), 'fmnist-chaos-'));
const procs: Cli[] = [];
let redis: TestRedis | undefined;

after(async () => {
  await killAll(procs);
  await redis?.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** Trials the coordinator has collected so far (its result lines). */
const RESULT_LINE = /^(?:\(found finished\) )?trial-\d{3}(?: \(start\))? (?:val_acc|pruned|failed)/gm;
const collected = (log: string) => (log.match(RESULT_LINE) ?? []).length;
const startedJobs = (w: Cli) => (w.log().match(/worker: \S+ started/g) ?? []).length;

test(
  'chaos: Redis restarted with and without its data, a worker killed, another stopped — every trial recorded once',
  { skip, timeout: 240_000 }, async () => {
  redis = await TestRedis.start(join(dir, 'redis'), { persist: true });
  const worker = (name: string) =>
    spawnCli(['worker', '--redis', redis!.url, '--work', join(dir, name), '--stall-seconds', '3'], procs);
  const out = join(dir, 'study');
  const db = join(dir, 'runs.db');
  const t0 = Date.now();
  const a = worker('a');
  const b = worker('b');
  const tune = spawnCli(['tune', '--redis', redis.url, '--redis-wait', '30', '--strategy', 'random',
    '--trials', String(TRIALS), '--epochs', '2', '--limit', '1500', '--no-final', '--out', out, '--db', db], procs);
  const tuneLog = () => tune.log();

  await waitFor('the first trial to be collected', () => collected(tuneLog()) >= 1, 90_000);
  await redis.kill();
  await sleep(500);
  await redis.launch({ persist: true });

  await waitFor('3 trials to be collected', () => collected(tuneLog()) >= 3, 90_000);
  await redis.kill();
  await sleep(500);
  await redis.launch({ persist: false });

  const aBefore = startedJobs(a);
  await waitFor('worker a to start another job', () => startedJobs(a) > aBefore, 60_000);
  const aKids = childrenOf(a.proc.pid!);
  a.proc.kill('SIGKILL');
  const c = worker('c');

  const bBefore = startedJobs(b);
  await waitFor('worker b to start another job', () => startedJobs(b) > bBefore || tune.proc.exitCode !== null, 60_000);
  const bKids = childrenOf(b.proc.pid!);
  b.proc.kill('SIGTERM');
  const bEnd = await exitWithin(b, 60_000);
  assert.equal(bEnd.code, 0, `worker b after SIGTERM:\n${bEnd.out}`);

  const r = await exitWithin(tune, 120_000);
  assert.equal(r.code, 0, r.out);
  const cKids = childrenOf(c.proc.pid!);
  c.proc.kill('SIGTERM');
  assert.equal((await exitWithin(c, 10_000)).code, 0, c.log());

  // Every trial recorded exactly once, with its training time.
  const runs = runsIn(db);
  const names = Array.from({ length: TRIALS }, (_, i) => `trial-00${i}`);
  assert.deepEqual(runs.map((x) => x.name).sort(), names, JSON.stringify(runs));
  assert.ok(runs.every((x) => (x.status === 'done' || x.status === 'pruned') && x.seconds! > 0), JSON.stringify(runs));
  const state = JSON.parse(readFileSync(join(out, 'tune.json'), 'utf8')) as
    { trials: { name: string; state: string }[] };
  assert.equal(state.trials.length, TRIALS);
  assert.ok(state.trials.every((t) => t.state === 'done' || t.state === 'pruned'), JSON.stringify(state.trials));

  // No half-written run folder: a done trial's folder is a finished run; no scratch file anywhere.
  for (const t of state.trials) {
    const folder = join(out, 'trials', t.name);
    if (t.state === 'done') assert.ok(isFinished(folder), `${t.name} is done but its folder is not a finished run`);
    const files = existsSync(folder) ? readdirSync(folder) : [];
    const scratch = files.filter((f) => f.endsWith('.tmp') || f === 'writer.lock');
    assert.deepEqual(scratch, [], folder);
  }

  // The coordinator saw the lost jobs and queued them again; no worker process or training child is left.
  assert.match(r.out, /is no longer in Redis \(restarted without its data\?\): queued again/);
  for (const pid of [a.proc.pid!, b.proc.pid!, c.proc.pid!, ...aKids, ...bKids, ...cKids]) {
    await waitFor(`process ${pid} to be gone`, () => !running(pid), 10_000);
  }
  const seconds = Math.round((Date.now() - t0) / 1000);
  const requeued = (r.out.match(/queued again/g) ?? []).length;
  const trainings = [a, b, c].reduce((n, w) => n + startedJobs(w), 0);
  const counts = { trials: TRIALS, records: runs.length, redisRestarts: 2, workerKills: 1, workerStops: 1, requeued,
    trainings, seconds };
  process.stderr.write(`chaos: ${JSON.stringify(counts)}\n`);
});
