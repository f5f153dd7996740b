import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTrainConfig } from '../config.ts';
import { RunStore } from './run_store.ts';
import * as require_errors from '../util/errors.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'fmnist-store-'));
const config = parseTrainConfig({ epochs: 2, seed: 5 });
const epoch = (n: number) => ({ epoch: n, loss: 1 / n, acc: 0.5 + n / 10, valLoss: 1.1 / n, valAcc: 0.5, lr: 1e-3, seconds: 1, imagesPerSecond: 100 });

/** Run a script in a child process that imports the store; resolves when it prints `marker` (or exits). */
function child(script: string, marker?: string): Promise<{ kill: () => void; done: Promise<number | null> }> {
  return new Promise((ready) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const done = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
    if (!marker) { ready({ kill: () => p.kill('SIGKILL'), done }); return; }
    p.stdout.on('data', (d) => { if (String(d).includes(marker)) ready({ kill: () => p.kill('SIGKILL'), done }); });
  });
}
const storeUrl = new URL('./run_store.ts', import.meta.url).href;

test('a run: start, epochs, finish, then list/show with config, seed, backend, metrics and timings', () => {
  const dir = tmp();
  const store = RunStore.open(join(dir, 'db.sqlite'));
  const rec = store.recorder({ kind: 'trial', group: 'study-1', name: 'trial-000' });
  rec.start({ outDir: join(dir, 'run'), config, meta: { backend: { name: 'wasm', threads: 1 }, versions: { tfjs: '4.22.0' }, data: { official: true } } });
  assert.equal(store.listRuns()[0].status, 'running');
  rec.epoch(epoch(1));
  rec.epoch(epoch(2));
  rec.finish('done', { metrics: { valAcc: 0.91, valLoss: 0.25 }, artifacts: { model: 'm.json' } });
  const [row] = store.listRuns({ group: 'study-1' });
  assert.equal(row.status, 'done');
  assert.equal(row.seed, 5);
  assert.equal(row.backend, 'wasm');
  assert.equal(row.finalMetrics?.valAcc, 0.91);
  assert.ok(row.seconds !== null && row.seconds >= 0);
  const detail = store.getRun(row.id);
  assert.deepEqual(detail.epochs.map((e) => e.epoch), [1, 2]);
  assert.deepEqual(detail.config, config);
  assert.equal((detail.meta.data as { official: boolean }).official, true);
  assert.throws(() => store.getRun(999), /no run 999/);
  store.close();
  rmSync(dir, { recursive: true });
});

test('resuming a folder continues its run (one folder, one run), epochs are not duplicated', () => {
  const dir = tmp();
  const store = RunStore.open(join(dir, 'db.sqlite'));
  const a = store.startRun({ kind: 'train', outDir: '/x/run', config, meta: {} });
  store.appendEpoch(a, epoch(1));
  store.finishRun(a, 'interrupted', { error: 'Ctrl-C' });
  const b = store.startRun({ kind: 'train', outDir: '/x/run', config, meta: {} });
  assert.equal(b, a);
  store.appendEpoch(b, epoch(1));
  store.appendEpoch(b, epoch(2));
  store.finishRun(b, 'done', {});
  assert.equal(store.getRun(a).epochs.length, 2);
  assert.equal(store.getRun(a).status, 'done');
  const c = store.startRun({ kind: 'train', outDir: '/x/run', config, meta: {} });
  assert.notEqual(c, a, 'a finished run is never reopened');
  store.close();
  rmSync(dir, { recursive: true });
});

test(
  'a run recorded after the fact (remote, or found finished) keeps its own training time, not the instant of recording',
  () => {
  const dir = tmp();
  const store = RunStore.open(join(dir, 'db.sqlite'));
  const id = store.startRun({ kind: 'trial', outDir: '/x/remote', config, meta: { remote: true } });
  store.finishRun(id, 'done', { seconds: 12.5 });
  assert.equal(store.getRun(id).seconds, 12.5);
  store.close();
  rmSync(dir, { recursive: true });
});

test('a run whose process is killed shows as interrupted, never as done', async () => {
  const dir = tmp();
  const db = join(dir, 'db.sqlite');
  const c = await child(`
    const { RunStore } = await import(${JSON.stringify(storeUrl)});
    const s = RunStore.open(${JSON.stringify(db)});
    s.startRun({ kind: 'train', outDir: 'k', config: ${JSON.stringify(config)}, meta: {} });
    console.log('started');
    setInterval(() => {}, 1000);`, 'started');
  const store = RunStore.open(db);
  assert.equal(store.listRuns()[0].status, 'running', 'alive: still running');
  c.kill();
  await c.done;
  const [row] = store.listRuns();
  assert.equal(row.status, 'interrupted');
  assert.match(row.error ?? '', /ended without finishing/);
  store.close();
  rmSync(dir, { recursive: true });
});

test('two processes writing at once lose nothing', async () => {
  const dir = tmp();
  const db = join(dir, 'db.sqlite');
  const writer = (tag: string) => child(`
    const { RunStore } = await import(${JSON.stringify(storeUrl)});
    const s = RunStore.open(${JSON.stringify(db)});
    for (let i = 0; i < 120; i++) {
      const id = s.startRun({ kind: 'trial', group: '${tag}', name: 't' + i, config: ${JSON.stringify(config)}, meta: {} });
      for (let e = 1; e <= 4; e++) s.appendEpoch(id, { epoch: e, loss: 1, acc: 0.5, lr: 1e-3, seconds: 0, imagesPerSecond: 0 });
      s.finishRun(id, 'done', { metrics: { valAcc: i / 120 } });
    }
    s.close();`);
  const [a, b] = await Promise.all([writer('A'), writer('B')]);
  assert.deepEqual(await Promise.all([a.done, b.done]), [0, 0]);
  const store = RunStore.open(db);
  for (const g of ['A', 'B']) {
    const rows = store.listRuns({ group: g });
    assert.equal(rows.length, 120, `group ${g}`);
    assert.ok(rows.every((r) => r.status === 'done'));
    assert.equal(rows.reduce((n, r) => n + store.getRun(r.id).epochs.length, 0), 480);
  }
  store.close();
  rmSync(dir, { recursive: true });
});

test('openReadOnly never creates a store or its folder, and refuses what is not a run store', async () => {
  const { existsSync, writeFileSync, mkdirSync } = await import('node:fs');
  const { UserError } = await import('../util/errors.ts');
  const dir = tmp();
  try {
    const missing = join(dir, 'no', 'such', 'x.db');
    assert.throws(() => RunStore.openReadOnly(missing), (e: Error) => e instanceof UserError && e.message.startsWith(`${missing}: no run store here`));
    assert.equal(existsSync(join(dir, 'no')), false, 'no folder created');
    mkdirSync(join(dir, 'folder.db'));
    assert.throws(() => RunStore.openReadOnly(join(dir, 'folder.db')), /is a folder, not a run store/);
    writeFileSync(join(dir, 'junk.db'), 'not sqlite at all, just text that is long enough to be a header '.repeat(20));
    assert.throws(() => RunStore.openReadOnly(join(dir, 'junk.db')), (e: Error) => {
      const { asUserError } = require_errors;
      const u = asUserError(e);
      assert.ok(u, `a user error, not a bug: ${e}`);
      assert.match(u.message, new RegExp(`^${join(dir, 'junk.db')}: `));
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a read-only store reads what a writer recorded, shows dead runs as interrupted without writing', async () => {
  const { readFileSync, statSync } = await import('node:fs');
  const dir = tmp();
  const path = join(dir, 'db.sqlite');
  try {
    const w = RunStore.open(path);
    const rec = w.recorder({ kind: 'train' });
    rec.start({ outDir: join(dir, 'a'), config, meta: {} });
    rec.epoch(epoch(1));
    rec.finish('done', { metrics: { valAcc: 0.9 } });
    const id = w.startRun({ kind: 'train', outDir: join(dir, 'b'), config, meta: {} });
    w.close();
    // The second run's process "died": pretend its pid is one that cannot be alive.
    const raw = new (await import('better-sqlite3')).default(path);
    raw.prepare('UPDATE runs SET pid = ? WHERE id = ?').run(2 ** 22 + 12345, id);
    raw.close();
    const before = readFileSync(path);
    const mtime = statSync(path).mtimeMs;
    const r = RunStore.openReadOnly(path);
    const rows = r.listRuns();
    assert.deepEqual(rows.map((x) => x.status), ['done', 'interrupted']);
    assert.deepEqual(r.listRuns({ status: 'interrupted' }).map((x) => x.id), [id]);
    assert.equal(r.getRun(1).epochs.length, 1);
    assert.equal(r.getRun(id).status, 'interrupted');
    r.close();
    assert.ok(readFileSync(path).equals(before), 'the database file is unchanged');
    assert.equal(statSync(path).mtimeMs, mtime);
    // A writer records the interruption for good.
    const w2 = RunStore.open(path);
    assert.equal(w2.getRun(id).status, 'interrupted');
    w2.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("'database is locked' names the store file and is a user error", async () => {
  const { asUserError } = require_errors;
  const dir = tmp();
  const path = join(dir, 'db.sqlite');
  try {
    const s = RunStore.open(path);
    (s as unknown as { db: { pragma: (q: string) => void } }).db.pragma('busy_timeout = 50');
    // Another process holds the write lock; after the (here short) busy timeout the write fails with SQLITE_BUSY.
    const holder = await child(`const D = (await import('better-sqlite3')).default; const db = new D(${JSON.stringify(path)}); db.prepare('BEGIN IMMEDIATE').run(); console.log('locked'); setTimeout(() => {}, 20000);`, 'locked');
    try {
      assert.throws(() => s.startRun({ kind: 'train', config, meta: {} }), (e: Error) => {
        const u = asUserError(e);
        assert.ok(u, `a user error, not a bug: ${e}`);
        assert.equal(u.exitCode, 2);
        assert.match(u.message, new RegExp(`^${path}: database is locked by another process; .*\\(SQLITE_BUSY\\)$`));
        return true;
      });
      s.close();
    } finally {
      holder.kill();
      await holder.done;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
