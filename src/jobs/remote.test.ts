/**
 * Jobs on other machines through BullMQ on a real Redis: the test starts its own redis-server
 * (127.0.0.1, a free port, a password, a temporary folder) and stops it afterwards; real
 * `fmnist worker` and `fmnist tune --redis` processes on a few hundred images, one epoch.
 * Skipped, saying why, where redis-server is not installed (scripts/setup.js installs it as root).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { findDataDir } from '../data/source.ts';
import { packageVersion } from '../train/run_folder.ts';
import { QUEUE_NAME } from './remote.ts';
import { redact, redisConnection } from './redis.ts';
import {
  exitWithin, killAll, runsIn, skipWithoutRedis as skip, spawnCli, TestRedis, waitFor, type Cli,
} from './testing.ts';


let dir = '';
let url = '';
let redis: TestRedis | undefined;
const procs: Cli[] = [];

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'fmnist-remote-'));
  redis = await TestRedis.start(join(dir, 'redis'));
  url = redis.url;
});

after(async () => {
  await killAll(procs);
  await redis?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function startWorker(name: string, dataDir?: string): Cli {
  const data = dataDir ? ['--data-dir', dataDir] : [];
  return spawnCli([...data, 'worker', '--redis', url, '--work', join(dir, name), '--stall-seconds', '3'], procs);
}

const stopWorker = (w: Cli) => killAll([w]);

function tune(out: string, db: string, trials: number, extra: string[] = []): { proc: ChildProcess; done: Promise<{ code: number | null; out: string }> } {
  const cli = spawnCli(['tune', '--redis', url, '--strategy', 'random', '--trials', String(trials), '--epochs', '1',
    '--limit', '300', '--no-final', '--out', out, '--db', db, ...extra], procs);
  return { proc: cli.proc, done: cli.exited };
}

const startedCounts = (logs: string) => {
  const counts = new Map<string, number>();
  for (const m of logs.matchAll(/worker: (\S+) started/g)) counts.set(m[1], (counts.get(m[1]) ?? 0) + 1);
  return counts;
};

test('the Redis URL is checked and its password never printed', () => {
  assert.throws(() => redisConnection('http://x'), /redis:\/\/ or rediss:\/\//);
  assert.deepEqual(redisConnection('rediss://:pw@h:6380/2'), { url: 'rediss://:pw@h:6380/2', maxRetriesPerRequest: null });
  assert.equal(redact('redis://:secret@h:1'), 'redis://:***@h:1');
  assert.equal(redact('redis://user:secret@h:1'), 'redis://user:***@h:1');
});

test(
  '6 trials on 3 workers: every trial recorded exactly once, its model back in the study folder',
  { skip, timeout: 180_000 }, async () => {
  const workers = ['a', 'b', 'c'].map((n) => startWorker(`six-${n}`));
  try {
    const out = join(dir, 'six');
    const db = join(dir, 'six.db');
    const r = await tune(out, db, 6).done;
    assert.equal(r.code, 0, r.out);
    const runs = runsIn(db);
    assert.equal(runs.length, 6);
    assert.deepEqual(runs.map((x) => x.name).sort(), ['trial-000', 'trial-001', 'trial-002', 'trial-003', 'trial-004', 'trial-005']);
    assert.ok(runs.every((x) => x.status === 'done'), JSON.stringify(runs.map((x) => x.status)));
    // Each remote trial's own training time, as run.json has it (it was 0 s: the instant of recording).
    for (const x of runs) {
      const run = JSON.parse(readFileSync(join(x.outDir, 'run.json'), 'utf8')) as { timings: { totalSeconds: number } };
      const want = run.timings.totalSeconds;
      const said = `${x.name}: ${x.seconds} s in the store, ${want} s in run.json`;
      assert.ok(x.seconds! > 0 && Math.abs(x.seconds! - want) < 1e-6, said);
    }
    for (let i = 0; i < 6; i++) assert.ok(existsSync(join(out, 'trials', `trial-00${i}`, 'weights.bin')), `trial ${i} has its weights`);
    const state = JSON.parse(readFileSync(join(out, 'tune.json'), 'utf8')) as { trials: { state: string }[] };
    assert.equal(state.trials.length, 6);
    assert.ok(state.trials.every((t) => t.state === 'done'));
    // The trials' curves reached Redis for the running trials' pruners.
    const group = runs[0].group;
    const client = new Redis(url);
    try {
      assert.equal(Object.keys(await client.hgetall(`fmnist:peers:${group}`)).length, 6);
    } finally {
      client.disconnect();
    }
    // The work was shared.
    assert.ok(workers.filter((w) => /started/.test(w.log())).length >= 2, workers.map((w) => w.log()).join('\n'));
  } finally {
    await Promise.all(workers.map(stopWorker));
  }
});

test(
  'a worker killed with kill -9 during a trial: another worker runs that trial again, each recorded once',
  { skip, timeout: 180_000 }, async () => {
  const a = startWorker('kill-a');
  const b = startWorker('kill-b');
  try {
    const out = join(dir, 'kill');
    const db = join(dir, 'kill.db');
    const t = tune(out, db, 4, ['--epochs', '3', '--limit', '1000']);
    await waitFor('worker a to start a trial', () => /started/.test(a.log()));
    const victim = /worker: (\S+) started/.exec(a.log())![1];
    await stopWorker(a);
    const r = await t.done;
    assert.equal(r.code, 0, r.out);
    const runs = runsIn(db);
    assert.equal(runs.length, 4, JSON.stringify(runs));
    assert.equal(new Set(runs.map((x) => x.name)).size, 4);
    assert.ok(b.log().includes(`worker: ${victim} started`), `the killed worker's ${victim} ran again on b:\n${b.log()}`);
  } finally {
    await Promise.all([a, b].map(stopWorker));
  }
});

test(
  'a coordinator killed and rerun collects the trials that finished meanwhile and trains none again',
  { skip, timeout: 180_000 }, async () => {
  const w = startWorker('restart');
  try {
    const out = join(dir, 'restart');
    const db = join(dir, 'restart.db');
    const first = tune(out, db, 3);
    await waitFor('the first trial to start', () => /started/.test(w.log()));
    first.proc.kill('SIGKILL');
    await first.done;
    // The worker goes on with the queued trials while no coordinator listens.
    await waitFor('all three trials to finish', () => (w.log().match(/ done/g) ?? []).length >= 3);
    const r = await tune(out, db, 3).done;
    assert.equal(r.code, 0, r.out);
    const runs = runsIn(db);
    assert.equal(runs.length, 3, JSON.stringify(runs));
    assert.ok(runs.every((x) => x.status === 'done'));
    for (const [id, n] of startedCounts(w.log())) assert.equal(n, 1, `${id} trained ${n} times`);
  } finally {
    await stopWorker(w);
  }
});

test(
  'a job made with other data, and a malformed payload, are refused with the reason, once, and the worker goes on',
  { skip, timeout: 120_000 }, async () => {
  const w = startWorker('refuse');
  const connection = redisConnection(url);
  const queue = new Queue(QUEUE_NAME, { connection });
  const events = new QueueEvents(QUEUE_NAME, { connection });
  try {
    await events.waitUntilReady();
    const sha = (c: string) => c.repeat(64);
    const payload = (name: string, data: { file: string; sha256: string }[]) => ({
      v: 1, version: packageVersion(), data,
      job: { kind: 'trial', group: 'refuse', name, config: { epochs: 1, limit: 300 } },
    });
    const opts = { attempts: 3, backoff: { type: 'fixed', delay: 500 } } as const;
    const other = await queue.add('trial', payload('other-data', [{ file: 'train-images-idx3-ubyte', sha256: sha('a') }]), { ...opts, jobId: 'refuse.other-data' });
    await assert.rejects(other.waitUntilFinished(events), /data differs: train-images-idx3-ubyte/);
    const bad = await queue.add('trial', { v: 1, job: { name: '../../etc/passwd', config: 'rm -rf /' } }, { ...opts, jobId: 'refuse.malformed' });
    await assert.rejects(bad.waitUntilFinished(events), /malformed job payload/);
    const version = await queue.add('trial', { ...payload('other-version', [{ file: 'train-images-idx3-ubyte', sha256: sha('b') }]), version: '0.0.0-other' }, { ...opts, jobId: 'refuse.other-version' });
    await assert.rejects(version.waitUntilFinished(events), /project version/);
    // Not retried: UnrecoverableError.
    for (const id of ['refuse.other-data', 'refuse.malformed', 'refuse.other-version']) assert.equal((await queue.getJob(id))!.attemptsMade, 1, id);
    assert.equal(w.proc.exitCode, null, 'the worker is still running');
    // ... and still works: a real job after the refusals.
    const r = await tune(join(dir, 'after'), join(dir, 'after.db'), 1).done;
    assert.equal(r.code, 0, r.out);
    assert.equal(runsIn(join(dir, 'after.db')).length, 1);
  } finally {
    await events.close();
    await queue.close();
    await stopWorker(w);
  }
});

test(
  'a worker with other data refuses the job with the reason and the coordinator stops with it',
  { skip, timeout: 120_000 }, async () => {
  // The official files with one test label changed.
  const official = findDataDir().dir;
  const other = join(dir, 'other-data');
  mkdirSync(other);
  for (const stem of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte']) {
    const gz = join(official, `${stem}.gz`);
    symlinkSync(existsSync(gz) ? gz : join(official, stem), join(other, existsSync(gz) ? `${stem}.gz` : stem));
  }
  const labelsGz = join(official, 't10k-labels-idx1-ubyte.gz');
  const labels = existsSync(labelsGz) ? gunzipSync(readFileSync(labelsGz)) : readFileSync(join(official, 't10k-labels-idx1-ubyte'));
  labels[labels.length - 1] = (labels[labels.length - 1] + 1) % 10;
  writeFileSync(join(other, 't10k-labels-idx1-ubyte'), labels);
  const w = startWorker('other-data', other);
  try {
    const r = await tune(join(dir, 'other'), join(dir, 'other.db'), 1).done;
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /refused by .*data differs: t10k-labels-idx1-ubyte/);
    assert.equal((w.log().match(/started/g) ?? []).length, 1, 'tried once, not retried');
    assert.equal(w.proc.exitCode, null, 'the worker is still running');
  } finally {
    await stopWorker(w);
  }
});

test(
  'Redis away longer than --redis-wait: the coordinator exits 2 with one line (not as interrupted); a rerun finishes',
  { skip, timeout: 120_000 }, async () => {
  // Its own Redis, with persistence: the jobs queued before it went are still there when it is back.
  const own = await TestRedis.start(join(dir, 'redis-wait'), { persist: true });
  const out = join(dir, 'wait');
  const db = join(dir, 'wait.db');
  const args = ['tune', '--redis', own.url, '--redis-wait', '3', '--strategy', 'random', '--trials', '2',
    '--epochs', '1', '--limit', '300', '--no-final', '--out', out, '--db', db];
  try {
    const first = spawnCli(args, procs);
    await waitFor('the trials to be queued', () => /trials go to the fmnist workers/.test(first.log()), 30_000);
    await own.kill();
    const r = await exitWithin(first, 30_000);
    assert.equal(r.code, 2, r.out);
    const last = r.out.trim().split('\n').at(-1)!;
    assert.match(last, /^fmnist: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ has been unreachable for over 3 s \(/);
    assert.match(last, /: stopped; /);
    assert.match(last, /rerun the same command/);
    assert.doesNotMatch(r.out, /interrupted|stopping after this batch|\n\s+at /);
    await own.launch({ persist: true });
    const w = spawnCli(['worker', '--redis', own.url, '--work', join(dir, 'wait-worker')], procs);
    const again = await exitWithin(spawnCli(args, procs), 90_000);
    assert.equal(again.code, 0, again.out);
    assert.deepEqual(runsIn(db).map((x) => `${x.name} ${x.status}`).sort(), ['trial-000 done', 'trial-001 done']);
    await killAll([w]);
  } finally {
    await own.kill();
  }
});

test(
  'a coordinator interrupted while Redis is away exits at once, as interrupted (not waiting to close politely)',
  { skip, timeout: 60_000 }, async () => {
  const own = await TestRedis.start(join(dir, 'redis-int'));
  try {
    const t = spawnCli(['tune', '--redis', own.url, '--strategy', 'random', '--trials', '2', '--epochs', '1',
      '--limit', '300', '--no-final', '--out', join(dir, 'int'), '--db', join(dir, 'int.db')], procs);
    await waitFor('the study to start', () => /tuning:/.test(t.log()), 30_000);
    await own.kill();
    await waitFor('the coordinator to notice', () => /redis: (unreachable|connect ECONNREFUSED)/.test(t.log()), 15_000);
    t.proc.kill('SIGTERM');
    const r = await exitWithin(t, 10_000);
    assert.equal(r.code, 130, r.out);
    assert.match(r.out, /interrupted with 0 trials finished; rerun the same command/);
  } finally {
    await own.kill();
  }
});
