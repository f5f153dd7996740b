// The training-step workloads' networks: a Keras base under the 10-class head that trainStep
// trains from logits, the same network as the peer's where torchvision has the same one (VGG16);
// bench rows and tables from given measurements (PyTorch f32 and bf16 beside ours, peak memory);
// and the bench's --precision reaching our child processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { TRAIN_STEPS, WORKLOADS, backboneClassifier } from './workloads.ts';
import { benchRows, formatBench, runOurs, type BenchReport, type Measurement } from './bench.ts';
import { prepareTrainee } from '../train/step.ts';
import { MODELS } from '../models/index.ts';

tf.env().set('PROD', true);
await tf.setBackend('cpu');

test('backbone classifier: Keras base, global average pooling, logits → softmax; VGG16 has the peer\'s parameter count', async () => {
  const m = await backboneClassifier('vgg16', 32);
  assert.deepEqual(m.outputs[0].shape, [null, 10]);
  assert.deepEqual(m.layers.slice(-3).map((l) => l.name), ['global_average_pooling2d', 'logits', 'predictions']);
  assert.equal(prepareTrainee(m).fromLogits, true); // the loss is softmax cross-entropy on the logits
  // torchvision vgg16().features + Linear(512, 10), as bench/peer_pytorch.py builds it: 14,714,688 + 5,130.
  assert.equal(m.countParams(), 14_719_818);
  m.dispose();
});

test('every training-step workload is a bench task, on a registered model', () => {
  for (const [task, { model }] of Object.entries(TRAIN_STEPS)) {
    assert.ok(task in WORKLOADS, task);
    assert.equal(task, `${model}_train_step`);
    assert.ok(model in MODELS, model);
  }
});

/** Measurements as runBench collects them: the peer in f32 and bf16, native (bf16) and wasm (fp32). */
function measurements(): Measurement[] {
  return [
    { who: 'pytorch', task: 'vgg16_train_step', precision: 'fp32', images_per_s: 20, max_rss_mb: 1000, threads: 2 },
    { who: 'pytorch-bf16', task: 'vgg16_train_step', precision: 'bf16', images_per_s: 80, max_rss_mb: 1200, threads: 2 },
    { who: 'native', task: 'vgg16_train_step', precision: 'bf16', images_per_s: 100, max_rss_mb: 800, threads: 2 },
    { who: 'wasm', task: 'vgg16_train_step', precision: 'fp32', images_per_s: 10, max_rss_mb: 1500, threads: 2 },
    { who: 'pytorch', task: 'lenet5_train_epoch', precision: 'fp32', seconds: 4, max_rss_mb: 400, threads: 2 },
    { who: 'pytorch-bf16', task: 'lenet5_train_epoch', precision: 'bf16', skipped: 'peer_pytorch: something failed' },
    { who: 'native', task: 'lenet5_train_epoch', precision: 'bf16', seconds: 2, max_rss_mb: 300, threads: 2, test_accuracy: 0.9 },
    { who: 'wasm', task: 'lenet5_train_epoch', skipped: 'the worker printed no JSON result' },
  ];
}

test('bench rows: ours against PyTorch f32 and bf16, peak memory against PyTorch f32, skipped runs left out', () => {
  const [step, lenet] = benchRows(['vgg16_train_step', 'lenet5_train_epoch'], ['native', 'wasm'], measurements());
  assert.deepEqual(step, {
    task: 'vgg16_train_step', metric: 'images_per_s', peer: 20, peerBf16: 80,
    ours: { native: 100, wasm: 10 }, precision: { native: 'bf16', wasm: 'fp32' },
    ratio: { native: 5, wasm: 0.5 }, ratioBf16: { native: 1.25, wasm: 0.125 },
    peerMemory: 1000, peerBf16Memory: 1200, memory: { native: 800, wasm: 1500 }, memoryRatio: { native: 0.8, wasm: 1.5 },
  });
  assert.equal(lenet.metric, 'seconds');
  assert.equal(lenet.peer, 4);
  assert.equal(lenet.peerBf16, undefined, 'a skipped peer run is no figure');
  assert.deepEqual(lenet.ratio, { native: 0.5, wasm: undefined });
  assert.deepEqual(lenet.ratioBf16, { native: undefined, wasm: undefined });
  assert.deepEqual(lenet.memoryRatio, { native: 0.75, wasm: undefined });
});

test('bench table: pytorch f32 and bf16 columns, ours with its precision, ratios both ways, and a peak memory table', () => {
  const backends = ['native', 'wasm'];
  const ms = measurements();
  const report: BenchReport = { measurements: ms, rows: benchRows(['vgg16_train_step', 'lenet5_train_epoch'], backends, ms) };
  const text = formatBench(report, backends);
  const lines = text.split('\n');
  for (const l of lines.filter((l) => !l.includes('skipped:'))) assert.ok(l.length <= 120, `${l.length} chars: ${l}`);
  const cells = (l: string) => l.trim().split(/\s{1,}/);
  assert.match(lines[0], /^task +metric +pytorch f32 +pytorch bf16 +native bf16 +vs f32 +vs bf16 +wasm fp32 +vs f32 +vs bf16$/);
  const step = lines.find((l) => l.startsWith('vgg16_train_step'))!;
  assert.deepEqual(cells(step), ['vgg16_train_step', 'images_per_s', '20.0', '80.0', '100.0', '5.00', '1.25', '10.0', '0.50', '0.13']);
  assert.deepEqual(cells(lines.find((l) => l.startsWith('lenet5_train_epoch'))!), ['lenet5_train_epoch', 'seconds', '4.0', '—', '2.0', '0.50', '—', '—', '—', '—']);
  const mem = lines.findIndex((l) => l.startsWith('peak memory (MiB)'));
  assert.ok(mem > 0, text);
  assert.match(lines[mem], /pytorch f32 +pytorch bf16 +native bf16 +vs f32 +wasm fp32 +vs f32$/);
  assert.deepEqual(cells(lines[mem + 1]), ['vgg16_train_step', '1000', '1200', '800', '0.80', '1500', '1.50']);
  assert.deepEqual(cells(lines[mem + 2]), ['lenet5_train_epoch', '400', '—', '300', '0.75', '—', '—']);
  assert.match(text, /lenet5_train_epoch +pytorch-bf16 skipped: peer_pytorch: something failed/);
  assert.match(text, /lenet5_train_epoch +native +300 MiB, 2 threads, bf16, test accuracy 90\.00%/);
  // Without a bf16 peer (the bench ran at --precision fp32) its columns are left out.
  const f32Only = ms.filter((m) => m.who !== 'pytorch-bf16');
  const plain = formatBench({ measurements: f32Only, rows: benchRows(['vgg16_train_step'], ['native'], f32Only) }, ['native']);
  assert.match(plain.split('\n')[0], /^task +metric +pytorch f32 +native bf16 +vs f32$/);
  assert.doesNotMatch(plain, /bf16 \(autocast\)|pytorch bf16|vs bf16/);
});

/** Our bench worker as `fmnist bench` starts it, its JSON result and its stderr. */
function worker(globalArgs: string[], task: string): { status: number | null; json: Record<string, unknown> | undefined; err: string } {
  const r = spawnSync(process.execPath, ['bin/fmnist.js', ...globalArgs, '--json', 'bench', '--worker', task], { encoding: 'utf8', cwd: new URL('../..', import.meta.url) });
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: r.status, json, err: r.stderr };
}

test('the bench worker reports the precision it ran in (fmnist --precision fp32 bench --worker)', () => {
  const r = worker(['--backend', 'native', '--threads', '1', '--precision', 'fp32'], 'vgg16_forward');
  assert.equal(r.status, 0, r.err);
  assert.equal(r.json?.precision, 'fp32', JSON.stringify(r.json));
  assert.equal(r.json?.backend, 'native');
  assert.equal(r.json?.task, 'vgg16_forward');
  assert.match(r.err, /backend: native \(1 thread, fp32 as asked\)/);
});

test('runOurs passes the bench\'s precision to its child: bf16 where the CPU has it, refused on wasm in one line', () => {
  const bf16 = runOurs('native', 'vgg16_forward', 'bf16', { threads: 1 });
  if (bf16.skipped) {
    // No native bf16 on this CPU: the child refuses --precision bf16 (so it was passed), and says why.
    assert.match(bf16.skipped, /--precision bf16: this CPU has no native bf16/);
  } else {
    assert.equal(bf16.precision, 'bf16');
    assert.equal(bf16.who, 'native');
    assert.ok((bf16.images_per_s ?? 0) > 0 && (bf16.max_rss_mb ?? 0) > 20, JSON.stringify(bf16));
  }
  const wasm = runOurs('wasm', 'vgg16_forward', 'bf16', { threads: 1 });
  assert.equal(wasm.who, 'wasm');
  assert.match(wasm.skipped ?? '', /^--precision bf16 needs the native backend \(this run uses wasm\)/);
});
