// The project's PyTorch peer (bench/peer_pytorch.py), on tiny Fashion-MNIST-shaped files made here:
// its IDX reader (gzipped and plain, magic numbers, counts), one LeNet-5 task through `fmnist bench`'s
// runner (with the peak-memory wrapper), its bf16 autocast (--precision bf16, measured beside float32 by
// `fmnist bench` unless it runs at --precision fp32), and its one-line errors. Skipped, saying why, when
// /usr/bin/python3 cannot import torch (sudo apt-get install python3-torch python3-numpy).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { IDX_MAGIC_IMAGES, IDX_MAGIC_LABELS, encodeIdx } from '../data/idx.ts';
import { DEFAULT_PEER, PYTHON, peerProblem, runBench } from './bench.ts';

const problem = peerProblem();
const skipReason = problem && `PyTorch peer cannot run here: ${problem}`;

/** n images whose pixels all equal 10 * label + i % 7, and their labels i % 10. */
function images(n: number): { x: Uint8Array; y: Uint8Array } {
  const y = Uint8Array.from({ length: n }, (_, i) => i % 10);
  const x = new Uint8Array(n * 784);
  for (let i = 0; i < n; i++) x.fill(10 * y[i] + (i % 7), i * 784, (i + 1) * 784);
  return { x, y };
}

/** A folder with train (gzipped, nTrain) and test (plain IDX, nTest) files; `override` replaces files by name. */
function dataset(nTrain: number, nTest: number, override: Record<string, Uint8Array> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'fmnist-peer-'));
  const tr = images(nTrain);
  const te = images(nTest);
  const files: Record<string, Uint8Array> = {
    'train-images-idx3-ubyte.gz': gzipSync(encodeIdx(IDX_MAGIC_IMAGES, [nTrain, 28, 28], tr.x)),
    'train-labels-idx1-ubyte.gz': gzipSync(encodeIdx(IDX_MAGIC_LABELS, [nTrain], tr.y)),
    't10k-images-idx3-ubyte': encodeIdx(IDX_MAGIC_IMAGES, [nTest, 28, 28], te.x),
    't10k-labels-idx1-ubyte': encodeIdx(IDX_MAGIC_LABELS, [nTest], te.y),
    ...override,
  };
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  return dir;
}

/** Run python code with the peer's definitions loaded (runpy, so its main() does not run). */
function withPeer(code: string, env: NodeJS.ProcessEnv = {}): ReturnType<typeof spawnSync> {
  const prelude = `import json, runpy\npeer = runpy.run_path(${JSON.stringify(DEFAULT_PEER)})\n`;
  return spawnSync(PYTHON, ['-c', prelude + code], { encoding: 'utf8', env: { ...process.env, ...env } });
}

/** The peer as a command: its exit code, JSON lines and stderr. */
function peer(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; rows: Record<string, unknown>[]; err: string } {
  const r = spawnSync(PYTHON, [DEFAULT_PEER, '--threads', '1', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  const rows = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: r.status, rows, err: r.stderr.trim() };
}

test('the peer is the project\'s own file, found from the module', () => {
  assert.ok(existsSync(DEFAULT_PEER), DEFAULT_PEER);
  assert.match(DEFAULT_PEER, /[/\\]bench[/\\]peer_pytorch\.py$/);
  assert.match(peerProblem('/nonexistent/peer.py') ?? '', /peer script not found at \/nonexistent\/peer\.py/);
});

test('peer IDX reader: gzipped and plain files, pixels scaled to [0,1], labels as int64', (t) => {
  if (skipReason) return t.skip(skipReason);
  const dir = dataset(30, 20);
  try {
    const r = withPeer([
      `out = {}`,
      `for split in ("train", "test"):`,
      `    x, y = peer["load_split"](${JSON.stringify(dir)}, split)`,
      `    out[split] = {"x": list(x.shape), "dtype": str(x.dtype), "y": y.tolist(), "ydtype": str(y.dtype),`,
      `                  "first": float(x[1, 0, 0, 0]), "max": float(x.max())}`,
      `print(json.dumps(out))`,
    ].join('\n'));
    assert.equal(r.status, 0, String(r.stderr));
    const out = JSON.parse(String(r.stdout));
    assert.deepEqual(out.train.x, [30, 1, 28, 28]);
    assert.deepEqual(out.test.x, [20, 1, 28, 28]);
    assert.equal(out.train.dtype, 'torch.float32');
    assert.equal(out.train.ydtype, 'torch.int64');
    assert.deepEqual(out.test.y, Array.from({ length: 20 }, (_, i) => i % 10));
    assert.ok(Math.abs(out.train.first - 11 / 255) < 1e-6, `image 1 pixel: ${out.train.first}`); // 10 * 1 + 1 % 7
    const maxPixel = Math.max(...images(30).x);
    assert.equal(maxPixel, 95); // image 9, 19 or 29: label 9, and 29 % 7 = 1, 19 % 7 = 5
    assert.ok(Math.abs(out.train.max - maxPixel / 255) < 1e-6, `max: ${out.train.max}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('peer IDX reader refuses wrong magic numbers and counts, in one line', (t) => {
  if (skipReason) return t.skip(skipReason);
  const tr = images(8);
  const cases: [string, Record<string, Uint8Array>, RegExp][] = [
    ['labels in the images file', { 'train-images-idx3-ubyte.gz': gzipSync(encodeIdx(IDX_MAGIC_LABELS, [8], tr.y)) }, /train-images-idx3-ubyte\.gz: wrong magic number 2049 \(expected 2051\)/],
    ['a truncated images file', { 'train-images-idx3-ubyte.gz': gzipSync(encodeIdx(IDX_MAGIC_IMAGES, [8, 28, 28], tr.x).subarray(0, 16 + 7 * 784)) }, /header says 8x28x28 = 6272 bytes of data but the file has 5488/],
    ['fewer labels than images', { 'train-labels-idx1-ubyte.gz': gzipSync(encodeIdx(IDX_MAGIC_LABELS, [5], tr.y.subarray(0, 5))) }, /8 train images but 5 labels/],
    ['a label out of range', { 'train-labels-idx1-ubyte.gz': gzipSync(encodeIdx(IDX_MAGIC_LABELS, [8], Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 12]))) }, /label 12 is not a class/],
  ];
  for (const [what, override, message] of cases) {
    const dir = dataset(8, 4, override);
    try {
      const r = peer(['--tasks', 'lenet5_train_epoch', '--data-dir', dir]);
      assert.notEqual(r.status, 0, `${what}: exit code`);
      assert.deepEqual(r.rows, [], `${what}: no result`);
      assert.ok(!r.err.includes('\n'), `${what}: one line, got ${r.err}`);
      assert.match(r.err, message, what);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const r = peer(['--tasks', 'lenet5_train_epoch,no_such_task']);
  assert.notEqual(r.status, 0);
  assert.match(r.err, /^peer_pytorch: unknown task no_such_task: use lenet5_train_epoch, vgg16_forward/);
});

test('fmnist bench runs the peer\'s LeNet-5 epoch on tiny data, with its peak memory', (t) => {
  if (skipReason) return t.skip(skipReason);
  const dir = dataset(200, 10);
  try {
    const report = runBench({ tasks: ['lenet5_train_epoch'], backends: [], threads: 1, dataDir: dir, say: () => {} });
    assert.equal(report.measurements.length, 1); // a library caller's default precision is fp32: no bf16 peer
    const m = report.measurements[0];
    assert.equal(m.skipped, undefined, m.skipped);
    assert.equal(m.who, 'pytorch');
    assert.equal(m.precision, 'fp32');
    assert.equal(m.task, 'lenet5_train_epoch');
    assert.equal(m.images, 200);
    assert.equal(m.batch, 64);
    assert.equal(m.threads, 1);
    assert.ok((m.seconds ?? 0) > 0, `seconds ${m.seconds}`);
    assert.ok(Math.abs((m.images_per_s ?? 0) - 200 / (m.seconds ?? 1)) / (m.images_per_s ?? 1) < 0.05, `${m.images_per_s} images/s vs ${m.seconds} s`);
    assert.ok((m.max_rss_mb ?? 0) > 20, `peak memory ${m.max_rss_mb} MiB`); // importing torch alone takes more
    assert.equal(report.rows[0].peer, m.seconds);
    assert.equal(report.rows[0].peerBf16, undefined);
    assert.equal(report.rows[0].peerMemory, m.max_rss_mb);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('peer finds data through FMNIST_DATA_DIR and reports the test accuracy after --epochs', (t) => {
  if (skipReason) return t.skip(skipReason);
  const dir = dataset(64, 30);
  try {
    const r = peer(['--tasks', 'lenet5_test_accuracy', '--epochs', '1'], { FMNIST_DATA_DIR: dir });
    assert.equal(r.status, 0, r.err);
    assert.equal(r.rows.length, 1);
    const row = r.rows[0];
    assert.equal(row.peer, 'pytorch');
    assert.equal(row.precision, 'fp32'); // the default
    assert.equal(row.task, 'lenet5_test_accuracy');
    assert.equal(row.epochs, 1);
    assert.equal(typeof row.version, 'string');
    const acc = row.accuracy as number;
    assert.ok(acc >= 0 && acc <= 1 && Math.abs(acc * 30 - Math.round(acc * 30)) < 0.01, `accuracy ${acc} is k/30`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('peer trains one EfficientNetB1 step (torchvision, 10-class head) through fmnist bench\'s runner', (t) => {
  if (skipReason) return t.skip(skipReason);
  const tv = spawnSync(PYTHON, ['-c', 'import torchvision'], { encoding: 'utf8' });
  if (tv.status !== 0) return t.skip('torchvision is not installed: sudo apt-get install python3-torchvision');
  const report = runBench({ tasks: ['efficientnetb1_train_step'], backends: [], threads: 1, steps: 1, say: () => {} });
  const m = report.measurements[0];
  assert.equal(m.skipped, undefined, m.skipped);
  assert.equal(m.model, 'efficientnet_b1');
  assert.deepEqual([m.batch, m.steps, m.input], [32, 1, [32, 32, 3]]);
  // torchvision's efficientnet_b1 features (6,513,184) + Linear(1280, 10) (12,810): its classifier is replaced, not kept.
  assert.equal(m.params, 6_525_994);
  assert.ok(Math.abs((m.images_per_s ?? 0) - 32 / (m.seconds ?? 1)) / (m.images_per_s ?? 1) < 0.05, `${m.images_per_s} images/s vs ${m.seconds} s`);
  assert.equal(report.rows[0].metric, 'images_per_s');
  assert.equal(report.rows[0].peer, m.images_per_s);
});

test('peer says in one line that a training-step task needs torchvision when it is missing', (t) => {
  if (skipReason) return t.skip(skipReason);
  // sys.modules[name] = None makes `import name` raise ImportError, as when the package is absent.
  const r = withPeer(`import sys\nsys.modules["torchvision"] = None\npeer["main"](["--tasks", "vgg16_train_step", "--threads", "1"])`);
  assert.notEqual(r.status, 0);
  assert.equal(String(r.stdout).trim(), '');
  const err = String(r.stderr).trim();
  assert.ok(!err.includes('\n'), err);
  assert.match(err, /^peer_pytorch: vgg16_train_step needs torchvision \(.*\): sudo apt-get install python3-torchvision$/);
});

test('the peer\'s ResNet-9 recipe is the `fast` recipe of src/recipes.ts, and its network has ours\' parameter count', async (t) => {
  if (skipReason) return t.skip(skipReason);
  const { RECIPES } = await import('../recipes.ts');
  const { RESNET9_BENCH_EPOCHS } = await import('./workloads.ts');
  const { buildModel } = await import('../models/index.ts');
  const r = withPeer('m = peer["ResNet9"]()\nprint(json.dumps({"recipe": peer["FAST_RECIPE"], "epochs": peer["RESNET9_BENCH_EPOCHS"], "params": sum(p.numel() for p in m.parameters()), "buffers": sum(b.numel() for n, b in m.named_buffers() if "running" in n)}))');
  assert.equal(r.status, 0, String(r.stderr));
  const out = JSON.parse(String(r.stdout));
  const fast = RECIPES.fast.settings as Record<string, unknown>;
  for (const [k, v] of Object.entries(out.recipe)) assert.deepEqual(v, fast[k], `FAST_RECIPE.${k}`);
  for (const [k, v] of Object.entries(fast)) if (k !== 'model' && k !== 'epochs') assert.ok(k in out.recipe, `the peer lacks the recipe's ${k}`);
  assert.equal(fast.model, 'resnet9_s');
  assert.equal(out.epochs, RESNET9_BENCH_EPOCHS);
  const ours = await buildModel('resnet9_s', { fastInit: true });
  assert.equal(out.params + out.buffers, ours.countParams(), 'parameters + batch-norm statistics');
  ours.dispose();
});

test('fmnist bench trains ResNet-9 with the fast recipe in the peer and natively on tiny data, side by side', (t) => {
  if (skipReason) return t.skip(skipReason);
  const dir = dataset(128, 20);
  try {
    const report = runBench({ tasks: ['resnet9_fast_epoch'], backends: ['native'], threads: 1, dataDir: dir, say: () => {} });
    for (const m of report.measurements) {
      assert.equal(m.skipped, undefined, `${m.who}: ${m.skipped}`);
      assert.equal(m.images, 128, m.who);
      assert.equal(m.batch, 128, m.who);
      assert.ok((m.seconds ?? 0) > 0 && (m.max_rss_mb ?? 0) > 20, `${m.who}: ${m.seconds} s, ${m.max_rss_mb} MiB`);
      const acc = m.test_accuracy as number;
      assert.ok(acc >= 0 && acc <= 1 && Math.abs(acc * 20 - Math.round(acc * 20)) < 0.01, `${m.who}: accuracy ${acc} is k/20`);
    }
    const row = report.rows[0];
    assert.equal(row.metric, 'seconds');
    assert.equal(row.ratio.native, row.ours.native! / row.peer!);
    assert.equal(row.precision.native, 'fp32', 'our child ran at the bench\'s precision (fp32 by default)');
    assert.equal(row.memoryRatio.native, row.memory.native! / row.peerMemory!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('peer --precision bf16: forward passes under bf16 autocast in every timed helper, float32 weights; fp32 stays float32', (t) => {
  if (skipReason) return t.skip(skipReason);
  // A forward hook on the last layer records the dtype of its output each time the model runs.
  const r = withPeer([
    `import torch`,
    `out = {}`,
    `for p in ("fp32", "bf16"):`,
    `    torch.manual_seed(0)`,
    `    model = peer["LeNet5"]()`,
    `    seen = []`,
    `    model.fc3.register_forward_hook(lambda m, i, o: seen.append(str(o.dtype)))`,
    `    x, y = torch.rand(8, 1, 28, 28), torch.arange(8) % 10`,
    `    got = {}`,
    `    for name, call in [("train_epochs", lambda: peer["train_epochs"](model, x, y, 1, 4, precision=p)),`,
    `                       ("forward_seconds", lambda: peer["forward_seconds"](model, (1, 28, 28), 2, precision=p)),`,
    `                       ("train_step_seconds", lambda: peer["train_step_seconds"](model, (1, 28, 28), 4, 1, warmup=0, precision=p)),`,
    `                       ("accuracy", lambda: peer["accuracy"](model, x, y, precision=p))]:`,
    `        seen.clear()`,
    `        call()`,
    `        got[name] = sorted(set(seen))`,
    `    got["weights"] = sorted({str(w.dtype) for w in model.parameters()})`,
    `    out[p] = got`,
    `print(json.dumps(out))`,
  ].join('\n'));
  assert.equal(r.status, 0, String(r.stderr));
  const out = JSON.parse(String(r.stdout)) as Record<string, Record<string, string[]>>;
  for (const name of ['train_epochs', 'forward_seconds', 'train_step_seconds', 'accuracy']) {
    assert.deepEqual(out.fp32[name], ['torch.float32'], `fp32 ${name}`);
    assert.deepEqual(out.bf16[name], ['torch.bfloat16'], `bf16 ${name}`);
  }
  assert.deepEqual(out.bf16.weights, ['torch.float32'], 'weights stay float32 under autocast');
});

test('peer --precision bf16 on a tiny task prints its result with precision bf16; a bad precision is refused', (t) => {
  if (skipReason) return t.skip(skipReason);
  const dir = dataset(64, 10);
  try {
    const r = peer(['--tasks', 'lenet5_train_epoch', '--data-dir', dir, '--precision', 'bf16']);
    assert.equal(r.status, 0, r.err);
    assert.equal(r.rows.length, 1);
    assert.equal(r.rows[0].precision, 'bf16');
    assert.equal(r.rows[0].task, 'lenet5_train_epoch');
    assert.ok((r.rows[0].seconds as number) > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const bad = peer(['--tasks', 'lenet5_train_epoch', '--precision', 'fp16']);
  assert.notEqual(bad.status, 0);
  assert.deepEqual(bad.rows, []);
  assert.match(bad.err.split('\n').pop() ?? '', /--precision: invalid choice: 'fp16'/);
});

test('fmnist bench at --precision auto measures the peer twice, f32 and bf16, into one row', (t) => {
  if (skipReason) return t.skip(skipReason);
  const dir = dataset(128, 10);
  const said: string[] = [];
  try {
    const report = runBench({ tasks: ['lenet5_train_epoch'], backends: [], threads: 1, dataDir: dir, precision: 'auto', say: (l) => said.push(l) });
    assert.deepEqual(report.measurements.map((m) => [m.who, m.precision, m.skipped]), [['pytorch', 'fp32', undefined], ['pytorch-bf16', 'bf16', undefined]]);
    const [f32, bf16] = report.measurements;
    const row = report.rows[0];
    assert.equal(row.peer, f32.seconds);
    assert.equal(row.peerBf16, bf16.seconds);
    assert.equal(row.peerMemory, f32.max_rss_mb);
    assert.equal(row.peerBf16Memory, bf16.max_rss_mb);
    assert.ok((bf16.max_rss_mb ?? 0) > 20, `bf16 peak memory ${bf16.max_rss_mb} MiB`);
    assert.deepEqual(said, ['bench: lenet5_train_epoch on pytorch…', 'bench: lenet5_train_epoch on pytorch-bf16…']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
