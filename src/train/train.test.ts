import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { parseTrainConfig } from '../config.ts';
import { initBackend } from '../backend/select.ts';
import { loadFashionMnist, type FashionMnist } from '../data/dataset.ts';
import { lossAndAccuracy, predictProbabilities } from '../models/predict.ts';
import { loadModel } from '../store/model_io.ts';
import { train } from './train.ts';
import { assertResumesExactly } from './testing.ts';
import { readCheckpoint } from './checkpoint.ts';
import { RunStore } from '../store/run_store.ts';

let data: FashionMnist;
before(async () => {
  await initBackend('wasm');
  data = loadFashionMnist();
});

const tmp = () => mkdtempSync(join(tmpdir(), 'fmnist-train-'));
const small = (o: object = {}) => parseTrainConfig({ limit: 400, epochs: 2, batchSize: 32, ...o });
const lines = (path: string) => readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

test('a run writes metrics, run.json, checkpoint, curves and a model that plain tf.loadLayersModel reads', async (t) => {
  const dir = tmp();
  const before = tf.memory().numTensors;
  // A clock that ticks a millisecond per reading, so two readings of "how long did the run take" never agree by luck.
  const realNow = Date.now;
  let readings = 0;
  t.mock.method(Date, 'now', () => realNow() + readings++);
  const r = await train({ config: small(), outDir: dir, data });
  t.mock.restoreAll();
  assert.equal(tf.memory().numTensors, before, 'no tensor leak across a whole run');
  assert.equal(r.epochs.length, 2);
  assert.equal(lines(join(dir, 'metrics.jsonl')).length, 2);
  const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
  assert.equal(run.status, 'done');
  assert.equal(run.seed, 42);
  assert.equal(run.config.limit, 400);
  assert.equal(run.backend.name, 'wasm');
  assert.equal(run.versions.tfjs, tf.version.tfjs);
  assert.equal(run.data.official, true);
  assert.equal(run.data.files.length, 4);
  assert.deepEqual(run.split, { train: 360, val: 40 });
  assert.equal(run.timings.totalSeconds, r.seconds, 'run.json records the time the result returns (a rerun reads it back)');
  for (const f of ['model.json', 'weights.bin', 'learning_curves.png', 'learning_curves.svg', 'checkpoint.json']) assert.ok(existsSync(join(dir, f)), f);

  // Serve the folder over HTTP and load it the way any tfjs user would.
  const server = createServer((req, res) => {
    const p = join(dir, (req.url ?? '/').slice(1));
    if (!existsSync(p)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': extname(p) === '.json' ? 'application/json' : 'application/octet-stream' }).end(readFileSync(p));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  try {
    const plain = await tf.loadLayersModel(`http://127.0.0.1:${port}/model.json`);
    const ours = await loadModel(dir);
    const idx = Int32Array.from({ length: 500 }, (_, i) => i);
    const norm = { kind: 'unit' as const, mean: 0, std: 1 };
    const a = predictProbabilities(plain, data.test.images, idx, norm);
    const b = predictProbabilities(ours, data.test.images, idx, norm);
    assert.deepEqual(a, b, 'the same predictions through plain tf.loadLayersModel');
    assert.ok(lossAndAccuracy(a, data.test.labels, idx).acc > 0.3, 'it learned something in 2 short epochs');
    plain.dispose();
    ours.dispose();
  } finally {
    server.close();
    rmSync(dir, { recursive: true });
  }
});

test('the same seed gives the same run; another seed does not', async () => {
  const [a, b, c] = [tmp(), tmp(), tmp()];
  const ra = await train({ config: small({ epochs: 1 }), outDir: a, data });
  const rb = await train({ config: small({ epochs: 1 }), outDir: b, data });
  const rc = await train({ config: small({ epochs: 1, seed: 7 }), outDir: c, data });
  assert.equal(ra.epochs[0].loss, rb.epochs[0].loss);
  assert.equal(ra.epochs[0].valLoss, rb.epochs[0].valLoss);
  assert.notEqual(ra.epochs[0].loss, rc.epochs[0].loss);
  for (const d of [a, b, c]) rmSync(d, { recursive: true });
});

test('the kept epoch: lowest validation loss by default, the last one with keepBest false', async () => {
  // 140 images, no augmentation, a constant high rate: validation loss bottoms out before the end.
  const cfg = small({ limit: 200, epochs: 10, batchSize: 16, lr: 0.01, augmentShift: 0, augmentFlip: false, valSplit: 0.3, schedule: 'constant', warmupEpochs: 0 });
  const [a, b] = [tmp(), tmp()];
  const best = await train({ config: cfg, outDir: a, data });
  const last = await train({ config: cfg, outDir: b, data, keepBest: false });
  const losses = best.epochs.map((e) => e.valLoss!);
  const argmin = losses.indexOf(Math.min(...losses)) + 1;
  assert.ok(argmin < 10, `this setting must overfit before epoch 10 (minimum at ${argmin})`);
  assert.equal(best.bestEpoch, argmin);
  assert.equal(last.bestEpoch, 10);
  assert.equal(last.final.valAcc, last.epochs[9].valAcc);
  for (const d of [a, b]) rmSync(d, { recursive: true });
});

test('an existing run is not overwritten without --resume', async () => {
  const dir = tmp();
  await train({ config: small({ epochs: 1 }), outDir: dir, data });
  await assert.rejects(train({ config: small({ epochs: 1 }), outDir: dir, data }), /already holds a run .* --resume/);
  rmSync(dir, { recursive: true });
});

test('divergence stops the run with a clear message and no model', async () => {
  const dir = tmp();
  await assert.rejects(
    // lr x weightDecay = 10 makes each decay step multiply the kernels by -9: they overflow float32 in ~40 steps.
    train({ config: small({ optimizer: 'sgd', lr: 10, weightDecay: 1, schedule: 'constant', warmupEpochs: 0, batchSize: 8, epochs: 2 }), outDir: dir, data }),
    /training diverged at epoch \d+, step \d+ \(loss (NaN|Infinity)\): lower --lr/,
  );
  assert.ok(!existsSync(join(dir, 'model.json')));
  assert.equal(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).status, 'failed');
  rmSync(dir, { recursive: true });
});

const testDb = join(tmpdir(), `fmnist-test-${process.pid}.db`);

/** Run the CLI in a child process; resolves with its exit code once it ends. */
function cli(args: string[], onStderr?: (text: string, kill: (sig: NodeJS.Signals) => void) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    // Each CLI run also lands in a run store: keep the test's out of the working tree.
    const env = { ...process.env, FMNIST_DB: testDb };
    const child = spawn(process.execPath, ['bin/fmnist.js', '--backend', 'wasm', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
      onStderr?.(stderr, (sig) => child.kill(sig));
    });
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

test('kill -9 mid-run, then --resume: ends with the same epochs and the same result as an uninterrupted run', async () => {
  const [killed, whole] = [tmp(), tmp()];
  const args = ['train', '--limit', '600', '--epochs', '3', '--batch-size', '32', '--dropout', '0.3'];
  // Kill hard as soon as epoch 2 has started (epoch 1's checkpoint is on disk by then).
  let sent = false;
  const first = await cli([...args, '--out', killed], (text, kill) => {
    if (!sent && /epoch 2\/3/.test(text)) { sent = true; kill('SIGKILL'); }
  });
  assert.equal(first.signal, 'SIGKILL', first.stderr);
  const ck = readCheckpoint(killed);
  assert.ok(ck && ck.epoch >= 1 && ck.epoch < 3, `checkpoint after the kill: epoch ${ck?.epoch}`);
  assert.ok(!existsSync(join(killed, 'model.json')), 'no final model yet');
  const store = RunStore.open(testDb);
  const runOf = () => store.listRuns().find((r) => r.outDir === killed)!;
  assert.equal(runOf().status, 'interrupted', 'the store shows the killed run as interrupted');

  const resumed = await cli([...args, '--out', killed, '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, new RegExp(`resuming after epoch ${ck!.epoch}`));
  const uninterrupted = await cli([...args, '--out', whole]);
  assert.equal(uninterrupted.code, 0, uninterrupted.stderr);

  const a = lines(join(killed, 'metrics.jsonl'));
  const b = lines(join(whole, 'metrics.jsonl'));
  assert.deepEqual(a.map((m) => m.epoch), [1, 2, 3]);
  // Weights, optimizer slots and the RNG stream (shuffle, augmentation, dropout) all resumed exactly.
  assert.deepEqual(a.map((m) => [m.loss, m.valLoss]), b.map((m) => [m.loss, m.valLoss]));
  assert.deepEqual(readFileSync(join(killed, 'weights.bin')), readFileSync(join(whole, 'weights.bin')));
  assert.equal(runOf().status, 'done', 'the resumed run is the same store row, now done');
  assert.equal(store.getRun(runOf().id).epochs.length, 3);
  store.close();
  for (const d of [killed, whole]) rmSync(d, { recursive: true });
});

test('resuming checks the settings against the run: all of them, or only those given; --resume alone takes the run\'s', async () => {
  const dir = tmp();
  await train({ config: small({ epochs: 1 }), outDir: dir, data });
  await assert.rejects(
    train({ config: small({ epochs: 1, lr: 0.01 }), outDir: dir, data, resume: true }),
    /the run was made with lr 0\.002, not 0\.01; resume it with its own settings/,
  );
  // Only `limit` was chosen: the default lr (and epochs) of `config` are not held against the run.
  const r = await train({ config: parseTrainConfig({ limit: 400 }), given: ['limit'], outDir: dir, data, resume: true });
  assert.equal(r.epochs.length, 1);
  await assert.rejects(train({ config: parseTrainConfig({ limit: 500 }), given: ['limit'], outDir: dir, data, resume: true }), /made with limit 400, not 500/);

  // The same check from the command line: one line, exit 2; --resume without settings continues the run as made.
  const wrong = await cli(['train', '--out', dir, '--resume', '--lr', '0.01']);
  assert.equal(wrong.code, 2, wrong.stderr);
  assert.match(wrong.stderr, /^fmnist: .*the run was made with lr 0\.002, not 0\.01; resume it with its own settings[^\n]*\n$/m);
  const same = await cli(['train', '--out', dir, '--resume', '--limit', '400']);
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stderr, /holds a finished run \(1 epoch\): nothing to resume, nothing changed/);
  rmSync(dir, { recursive: true });
});

test('Ctrl-C stops at a batch boundary, keeps the checkpoint, marks the run interrupted', async () => {
  const dir = tmp();
  let sent = false;
  const r = await cli(['train', '--limit', '600', '--epochs', '3', '--batch-size', '32', '--out', dir], (text, kill) => {
    if (!sent && /epoch 2\/3/.test(text)) { sent = true; kill('SIGINT'); }
  });
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /interrupted; the checkpoint of epoch 1 .* --resume/);
  assert.equal(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).status, 'interrupted');
  assert.equal(readCheckpoint(dir)?.epoch, 1);
  rmSync(dir, { recursive: true });
});

test('two `fmnist train` into the same --out at once: exactly one trains, the other exits 2 at once naming the folder and the holder', async () => {
  const dir = join(tmp(), 'same');
  const args = ['train', '--limit', '600', '--epochs', '2', '--batch-size', '32', '--out', dir];
  const texts = ['', ''];
  const atFirstExit: string[] = [];
  const runs = await Promise.all([0, 1].map((i) => cli(args, (text) => { texts[i] = text; }).then((r) => { if (!atFirstExit.length) atFirstExit.push(...texts); return r; })));
  const loser = runs.find((r) => r.code === 2);
  const winner = runs.find((r) => r.code === 0);
  assert.ok(loser && winner, runs.map((r) => `${r.code}: ${r.stderr}`).join('\n---\n'));
  assert.match(loser.stderr, new RegExp(`^fmnist: ${dir} is being written by train process \\d+ on [^\\n]+\\n$`, 'm'));
  assert.doesNotMatch(loser.stderr, /epoch 1\/2/, 'the refused one never started training');
  // Refused at once: when the refused one ended, the other had not finished its first epoch.
  assert.doesNotMatch(atFirstExit[runs.indexOf(winner)], /epoch 2\/2/);
  const m = lines(join(dir, 'metrics.jsonl'));
  assert.deepEqual(m.map((e) => e.epoch), [1, 2], 'one run\'s metrics, not two interleaved');
  const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
  assert.equal(run.status, 'done');
  assert.ok(!existsSync(join(dir, 'writer.lock')), 'the lock is released');
  const store = RunStore.open(testDb);
  const rows = store.listRuns().filter((r) => r.outDir === dir);
  assert.deepEqual(rows.map((r) => r.status), ['done'], 'one store row');
  assert.deepEqual(store.getRun(rows[0].id).epochs.map((e) => e.loss), m.map((e) => e.loss), 'whose metrics are the folder\'s');
  store.close();
  rmSync(join(dir, '..'), { recursive: true });
});

test('resuming after epoch 1 or 2 is bit-identical to the uninterrupted run (losses, weights)', async () => {
  // Dropout and augmentation on: every random stream must continue exactly. (Before the fix, epoch
  // 3's loss after a stop after epoch 2 was 1.5315288896913881, not 1.5315288058033696.)
  await assertResumesExactly(small({ limit: 600, epochs: 3, dropout: 0.3 }), data, [1, 2]);
});

test('--resume on a finished run says so and changes nothing; --epochs beyond the run\'s is refused with the reason', async () => {
  const dir = tmp();
  const args = ['train', '--limit', '300', '--epochs', '2', '--out', dir];
  const first = await cli(args);
  assert.equal(first.code, 0, first.stderr);
  const store = RunStore.open(testDb);
  const rows = () => store.listRuns().filter((r) => r.outDir === dir).map((r) => [r.id, r.status, store.getRun(r.id).epochs.length]);
  const rowsBefore = rows();
  assert.deepEqual(rowsBefore.map((r) => r.slice(1)), [['done', 2]]);
  const files = ['run.json', 'checkpoint.json', 'metrics.jsonl', 'model.json', 'weights.bin'];
  const snapshot = () => files.map((f) => [readFileSync(join(dir, f), 'utf8'), statSync(join(dir, f)).mtimeMs]);
  const before = snapshot();

  const again = await cli(['train', '--out', dir, '--resume']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, new RegExp(`${dir} holds a finished run \\(2 epochs\\): nothing to resume, nothing changed`));
  assert.deepEqual(rows(), rowsBefore, 'no new store row');
  assert.deepEqual(snapshot(), before, 'no file rewritten');

  const longer = await cli(['train', '--out', dir, '--resume', '--epochs', '3']);
  assert.equal(longer.code, 2, longer.stderr);
  assert.match(longer.stderr, /^fmnist: .*the run was made for 2 epochs, not 3; extending a run is refused because its cosine learning-rate schedule was laid out over 2 epochs .*start a new run with --epochs 3 in another folder\n$/m);
  assert.deepEqual(rows(), rowsBefore);
  assert.deepEqual(snapshot(), before);
  store.close();
  rmSync(dir, { recursive: true });
});
