/**
 * Tuning and CV end to end with real (tiny) training: resumability after kill -9 (in-process and
 * with worker processes), concurrent writers to the run store, CV bookkeeping and resume.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../backend/select.ts';
import { parseTrainConfig } from '../config.ts';
import { loadFashionMnist, type FashionMnist } from '../data/dataset.ts';
import { RunStore } from '../store/run_store.ts';
import { runCv } from './cv.ts';
import { JobRunner, resolveSplit } from '../jobs/job.ts';
import { InProcessScheduler } from '../jobs/scheduler.ts';
import { defaultSpace, paramsOf, parseSpace } from '../search/space.ts';
import { runTune, TUNE_FILE, type TuneState } from './tune.ts';
import { Interrupted } from '../util/interrupt.ts';

let data: FashionMnist;
before(async () => {
  await initBackend('wasm');
  data = loadFashionMnist();
});

const tmp = () => mkdtempSync(join(tmpdir(), 'fmnist-tune-'));
const quiet = () => {};
const readState = (dir: string) => JSON.parse(readFileSync(join(dir, TUNE_FILE), 'utf8')) as TuneState;

/** Run the CLI; `watch` sees stderr as it grows and may kill the process. */
function cli(args: string[], db: string, watch?: (text: string, kill: () => void) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; pid: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/fmnist.js', '--backend', 'wasm', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FMNIST_DB: db } });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
      watch?.(stderr, () => child.kill('SIGKILL'));
    });
    child.on('exit', (code, signal) => resolve({ code, signal, stderr, pid: child.pid! }));
  });
}

const alive = (pid: number) => {
  try { process.kill(pid, 0); return true; } catch { return false; }
};

test('tune: kill -9 mid-trial, rerun the same command: finished trials are not repeated, the unfinished one continues', async () => {
  const dir = tmp();
  const db = join(dir, 'runs.db');
  const out = join(dir, 'study');
  const args = ['tune', '--strategy', 'random', '--trials', '4', '--limit', '300', '--epochs', '2', '--pruner', 'none', '--no-final', '--out', out];
  let killed = false;
  const first = await cli(args, db, (text, kill) => {
    // Two trials finished and the third has its epoch-1 checkpoint on disk.
    if (!killed && /trial-001 val_acc/.test(text) && /trial-002 epoch 1\/2/.test(text)) { killed = true; kill(); }
  });
  assert.equal(first.signal, 'SIGKILL', first.stderr);
  const before = readState(out);
  assert.deepEqual(before.trials.map((t) => t.state), ['done', 'done', 'running']);
  const stamp = (n: string) => statSync(join(out, 'trials', n, 'run.json')).mtimeMs;
  const finishedStamps = ['trial-000', 'trial-001'].map(stamp);

  const second = await cli(args, db);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /resuming study tune-study-[0-9a-f]{4}: 2 trials finished \(skipped\), 1 to continue/);
  assert.doesNotMatch(second.stderr, /trial-00[01] (epoch|val_acc)/, 'finished trials are not trained again');
  assert.doesNotMatch(second.stderr, /trial-002 epoch 1\/2/, 'trial 2 continues after its checkpointed epoch');
  const after = readState(out);
  assert.equal(after.id, before.id);
  assert.deepEqual(after.trials.map((t) => t.state), ['done', 'done', 'done', 'done']);
  assert.deepEqual(after.trials[2].params, before.trials[2].params, 'the interrupted trial kept its parameters');
  assert.equal(after.trials[0].start, true);
  assert.deepEqual(after.trials[0].params, paramsOf(parseSpace(defaultSpace()), parseTrainConfig({})), 'trial 0 is the default configuration');
  assert.deepEqual(['trial-000', 'trial-001'].map(stamp), finishedStamps, 'finished trial folders untouched');
  const metrics = readFileSync(join(out, 'trials', 'trial-002', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).epoch);
  assert.deepEqual(metrics, [1, 2]);

  // The store: one row per trial (the resumed trial is the same row), all done, in this study's group.
  const store = RunStore.open(db);
  const rows = store.listRuns({ group: after.id });
  store.close();
  assert.deepEqual(rows.map((r) => [r.kind, r.name, r.status]), [0, 1, 2, 3].map((n) => ['trial', `trial-00${n}`, 'done']));
  for (const f of ['best_config.json', 'trials.csv', 'history.png', 'params.png', 'results.json']) assert.ok(existsSync(join(out, f)), f);
  const best = JSON.parse(readFileSync(join(out, 'best_config.json'), 'utf8'));
  assert.equal(best.limit, undefined, 'the best config does not carry the study\'s subset size');
  parseTrainConfig(best, 'best_config.json');
  rmSync(dir, { recursive: true });
});

test('tune --parallel 2: workers write the store concurrently, die with their parent, and a rerun finishes the study', async () => {
  const dir = tmp();
  const db = join(dir, 'runs.db');
  const out = join(dir, 'study');
  const args = ['tune', '--strategy', 'hyperband', '--trials', '8', '--limit', '300', '--epochs', '3', '--parallel', '2', '--no-final', '--out', out];
  let killed = false;
  const pidsInStore = () => {
    if (!existsSync(db)) return 0;
    const s = RunStore.open(db);
    try { return new Set(s.listRuns().map((r) => s.getRun(r.id).meta.pid)).size; } finally { s.close(); }
  };
  const first = await cli(args, db, (text, kill) => {
    // Kill once two trials are finished and both workers have been writing to the store.
    if (!killed && (text.match(/^trial-\d+ /gm) ?? []).length >= 2 && pidsInStore() >= 2) { killed = true; kill(); }
  });
  assert.equal(first.signal, 'SIGKILL', first.stderr);
  let store = RunStore.open(db);
  const workerPids = [...new Set(store.listRuns().map((r) => store.getRun(r.id).meta.pid as number))];
  store.close();
  assert.equal(workerPids.length, 2, 'trials ran in two worker processes');
  assert.ok(!workerPids.includes(first.pid), 'not in the parent');
  const deadline = Date.now() + 10_000;
  while (workerPids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok(!workerPids.some(alive), 'no orphan workers after the parent was killed');

  const done = readState(out).trials.filter((t) => t.state !== 'running').map((t) => t.name);
  const second = await cli(args, db);
  assert.equal(second.code, 0, second.stderr);
  for (const name of done) assert.doesNotMatch(second.stderr, new RegExp(`${name} (epoch|val_acc|pruned)`), `${name} not repeated`);
  const st = readState(out);
  assert.equal(st.trials.length, 8);
  assert.ok(st.trials.every((t) => t.state === 'done' || t.state === 'pruned'));
  assert.equal(st.trials[0].start, true);
  assert.deepEqual([st.trials[0].state, st.trials[0].values.length], ['done', 3], 'the starting configuration is never pruned');
  store = RunStore.open(db);
  const rows = store.listRuns({ group: st.id });
  assert.deepEqual(rows.map((r) => r.name).sort(), st.trials.map((t) => t.name), 'exactly one store row per trial');
  assert.deepEqual(rows.map((r) => r.status).sort(), st.trials.map((t) => t.state).sort(), 'store and study agree');
  for (const r of rows) assert.equal(store.getRun(r.id).epochs.length, st.trials.find((t) => t.name === r.name)!.values.length, `${r.name}: every epoch recorded`);
  store.close();
  rmSync(dir, { recursive: true });
});

test('tune (library): --trials can grow on a rerun; other settings cannot change', async () => {
  const dir = tmp();
  const space = parseSpace({ lr: { type: 'loguniform', low: 1e-3, high: 1e-2 }, epochs: 1, batchSize: 64 });
  const o = { outDir: dir, strategy: 'tpe' as const, space, base: {}, limit: 300, valSplit: 0.2, seed: 3, pruner: 'none' as const, db: null, say: quiet };
  const sched = new InProcessScheduler(data);
  const a = await runTune({ ...o, trials: 2, scheduler: sched });
  assert.equal(a.state.trials.length, 2);
  const lines: string[] = [];
  const b = await runTune({ ...o, trials: 3, scheduler: sched, say: (l) => lines.push(l) });
  assert.equal(b.state.trials.length, 3);
  assert.deepEqual(b.state.trials.slice(0, 2), JSON.parse(JSON.stringify(a.state.trials.slice(0, 2))));
  assert.equal(lines.filter((l) => /^trial-/.test(l)).length, 1, 'only the new trial ran');
  await assert.rejects(runTune({ ...o, trials: 3, seed: 4, scheduler: sched }), /holds a study made with different settings \('seed' differs\)/);
  await assert.rejects(runTune({ ...o, trials: 3, valSplit: 0, scheduler: sched }), /needs a held-out validation split/);
  await sched.close();
  rmSync(dir, { recursive: true });
});

test('tune (library): an aborted study stops mid-trial; the same scheduler then runs another study, and the first resumes', async () => {
  const dir = tmp();
  const space = parseSpace({ lr: { type: 'loguniform', low: 1e-3, high: 1e-2 }, epochs: 2, batchSize: 64 });
  const o = { strategy: 'random' as const, space, base: {}, limit: 300, valSplit: 0.2, seed: 1, pruner: 'none' as const, db: null, trials: 2 };
  const sched = new InProcessScheduler(data);
  const controller = new AbortController();
  const stopAtEpoch1 = (l: string) => { if (/trial-000 epoch 1\/2/.test(l)) controller.abort(); };
  await assert.rejects(
    runTune({ ...o, outDir: join(dir, 'a'), scheduler: sched, signal: controller.signal, say: stopAtEpoch1 }),
    (err) => err instanceof Interrupted && /interrupted with 0 trials finished/.test(err.message),
  );
  assert.deepEqual(readState(join(dir, 'a')).trials.map((t) => [t.state, t.values.length]), [['running', 1]]);

  // Nothing of the cancellation is left behind: a second study in this process runs to the end.
  const b = await runTune({ ...o, outDir: join(dir, 'b'), scheduler: sched, say: quiet });
  assert.deepEqual(b.state.trials.map((t) => [t.state, t.values.length]), [['done', 2], ['done', 2]]);
  await assert.rejects(
    runCv({ outDir: join(dir, 'cv'), configs: [{ label: 'd', config: parseTrainConfig({ epochs: 1 }), source: 'test' }], folds: 2, seed: 1, limit: 300, scheduler: sched, db: null, labels: data.train.labels, say: quiet, signal: AbortSignal.abort() }),
    /interrupted with 0 fold runs finished/,
  );
  const a = await runTune({ ...o, outDir: join(dir, 'a'), scheduler: sched, signal: new AbortController().signal, say: quiet });
  assert.deepEqual(a.state.trials.map((t) => [t.state, t.values.length]), [['done', 2], ['done', 2]], 'the interrupted trial continued from its checkpoint');
  await sched.close();
  rmSync(dir, { recursive: true });
});

test('job runner: a finished folder is reused without training; its store row is settled', async () => {
  const dir = tmp();
  const db = join(dir, 'runs.db');
  const runner = new JobRunner(data);
  const job = { kind: 'trial' as const, group: 'g', name: 't', outDir: join(dir, 't'), config: parseTrainConfig({ limit: 300, epochs: 1 }), db };
  // Trained while the store did not hear of it, then a row left 'running' (as when a study dies
  // after training finished but before the row was closed).
  const first = await runner.run({ ...job, db: null });
  assert.equal(first.status, 'done');
  assert.equal(first.reused, undefined);
  const store = RunStore.open(db);
  const id = store.startRun({ kind: 'trial', group: 'g', name: 't', outDir: job.outDir, config: job.config, meta: {} });
  const again = await runner.run(job);
  assert.equal(again.reused, true);
  assert.deepEqual(again.epochs, first.epochs);
  const rows = store.listRuns({ group: 'g' });
  assert.deepEqual(rows.map((r) => [r.id, r.status]), [[id, 'done']], 'the same row, now done');
  const detail = store.getRun(id);
  assert.equal(detail.epochs.length, 1);
  assert.equal((detail.meta.backend as { name: string }).name, 'wasm', 'meta recovered from run.json');
  store.close();
  runner.close();
  rmSync(dir, { recursive: true });
});

test('cv --compare (library): the same stratified folds for both, paired corrected t-test, each fold a store run, resumable', async () => {
  const dir = tmp();
  const db = join(dir, 'runs.db');
  const configs = [
    { label: 'slow', config: parseTrainConfig({ epochs: 1, lr: 3e-4 }), source: 'test' },
    { label: 'fast', config: parseTrainConfig({ epochs: 1, lr: 5e-3 }), source: 'test' },
  ];
  const o = { outDir: join(dir, 'cv'), configs, folds: 3, seed: 5, limit: 450, db, labels: data.train.labels, say: quiet };
  const sched = new InProcessScheduler(data);
  const r = await runCv({ ...o, scheduler: sched });
  assert.equal(r.summaries.length, 2);
  assert.equal(r.sizes.val, 150);
  assert.equal(r.sizes.train, 300);
  assert.equal(r.sizes.testTrainRatio, 0.5);
  for (const s of r.summaries) {
    assert.equal(s.folds.length, 3);
    assert.ok(s.ci95.low < s.mean && s.mean < s.ci95.high);
    assert.ok(s.ci95.halfWidth > s.naiveCi95.halfWidth, 'the corrected interval is wider');
  }
  const c = r.comparison!;
  assert.equal(c.first, 'slow');
  assert.equal(c.second, 'fast');
  assert.ok(Math.abs(c.meanDiff - (r.summaries[1].mean - r.summaries[0].mean)) < 1e-12);
  assert.equal(c.df, 2);
  assert.ok(c.p >= 0 && c.p <= 1);
  // Each fold's held-out part is the k-fold split's, for both configurations.
  const folds = [0, 1, 2].map((f) => resolveSplit({ kind: 'kfold', k: 3, fold: f, seed: 5, limit: 450 }, data.train.labels));
  for (const label of ['slow', 'fast']) {
    for (let f = 0; f < 3; f++) {
      const run = JSON.parse(readFileSync(join(dir, 'cv', label, `fold-0${f + 1}`, 'run.json'), 'utf8'));
      assert.deepEqual(run.split, { train: folds[f].train.length, val: folds[f].val.length });
    }
  }
  const store = RunStore.open(db);
  const rows = store.listRuns({ group: r.id });
  store.close();
  assert.equal(rows.length, 6);
  assert.ok(rows.every((row) => row.kind === 'fold' && row.status === 'done'));
  for (const f of ['results.json', 'folds.csv', 'folds.png', 'folds.svg']) assert.ok(existsSync(join(dir, 'cv', f)), f);

  const lines: string[] = [];
  const again = await runCv({ ...o, scheduler: sched, say: (l) => lines.push(l) });
  assert.ok(lines.some((l) => /6 fold runs finished \(skipped\)/.test(l)), lines.join('\n'));
  assert.deepEqual(again.summaries.map((s) => s.folds), r.summaries.map((s) => s.folds));
  await assert.rejects(runCv({ ...o, folds: 4, scheduler: sched }), /holds a cross-validation with other settings/);
  await sched.close();
  rmSync(dir, { recursive: true });
});

test('two `fmnist tune` into the same --out at once: one runs the study, the other exits 2 at once; each trial trained once', async () => {
  const dir = tmp();
  const db = join(dir, 'runs.db');
  const out = join(dir, 'study');
  const args = ['tune', '--strategy', 'random', '--trials', '2', '--limit', '300', '--epochs', '1', '--pruner', 'none', '--no-final', '--out', out];
  const runs = await Promise.all([cli(args, db), cli(args, db)]);
  const loser = runs.find((r) => r.code === 2);
  const winner = runs.find((r) => r.code === 0);
  assert.ok(loser && winner, runs.map((r) => `${r.code}: ${r.stderr}`).join('\n---\n'));
  assert.match(loser.stderr, new RegExp(`^fmnist: ${out} is being written by tune process ${winner.pid} on [^\\n]+\\n$`, 'm'));
  assert.doesNotMatch(loser.stderr, /trial-000/, 'the refused one trained nothing');
  for (const t of ['trial-000', 'trial-001']) {
    const epochs = readFileSync(join(out, 'trials', t, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).epoch);
    assert.deepEqual(epochs, [1], `${t} trained once`);
  }
  assert.deepEqual(readState(out).trials.map((t) => t.state), ['done', 'done']);
  rmSync(dir, { recursive: true });
});

test('cv (library): a CV folder another process writes is refused at once; a trial folder being written is not a failed trial', async () => {
  const dir = tmp();
  const { lockFolder, FolderLocked } = await import('../util/folder_lock.ts');
  const held = lockFolder(join(dir, 'cv'), 'cv');
  const sched = new InProcessScheduler(data);
  try {
    await assert.rejects(
      runCv({ outDir: join(dir, 'cv'), configs: [{ label: 'd', config: parseTrainConfig({ epochs: 1 }), source: 'test' }], folds: 2, seed: 1, limit: 300, scheduler: sched, db: null, labels: data.train.labels, say: quiet }),
      (err) => err instanceof FolderLocked && err.message.startsWith(`${join(dir, 'cv')} is being written by cv process ${process.pid}`),
    );
    assert.ok(!existsSync(join(dir, 'cv', 'cv.json')), 'nothing written');
    // A job whose folder is locked by another writer: the error propagates (no 'failed' result to record).
    const trial = lockFolder(join(dir, 't'), 'train');
    const runner = new JobRunner(data);
    await assert.rejects(runner.run({ kind: 'trial', group: 'g', name: 't', outDir: join(dir, 't'), config: parseTrainConfig({ limit: 300, epochs: 1 }), db: null }), FolderLocked);
    runner.close();
    trial.release();
  } finally {
    held.release();
    await sched.close();
  }
  rmSync(dir, { recursive: true });
});
