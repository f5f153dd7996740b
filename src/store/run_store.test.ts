import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTrainConfig } from '../config.ts';
import { RunStore } from './run_store.ts';

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
