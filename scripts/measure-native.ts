/**
 * Measures a tfjs backend (default: native) on the PyTorch peer's two workloads, optionally with
 * the peer run back to back in the same sitting, and a per-kernel profile of where the time goes.
 *
 *   npx tsx scripts/measure-native.ts [--backend native|wasm|cpu] [--threads N]
 *       [--tasks lenet5_train_epoch,vgg16_forward] [--images 60000] [--profile] [--peer] [--json]
 *
 * lenet5_train_epoch  tf.sequential LeNet-5 (conv 6@5x5 same relu, maxPool 2, conv 16@5x5 valid
 *                     relu, maxPool 2, flatten, dense 120 relu, 84 relu, 10 softmax), Adam 1e-3,
 *                     batch 64, a custom loop of optimizer.minimize over the 60,000 training images
 *                     (real Fashion-MNIST when found, else random). Warm-up: 30 steps, then one
 *                     timed epoch (--images N times a partial epoch and scales it to 60,000).
 * vgg16_forward       VGG16 conv base (13 conv3x3 same relu + 5 maxPool 2), 32x32x3, batch 256:
 *                     one warm-up pass, then the best of two timed passes.
 * --peer              runs the project's PyTorch peer, bench/peer_pytorch.py (/usr/bin/python3,
 *                     needs python3-torch), on the same tasks just before, and prints time ratios
 *                     (ours / peer: < 1 is faster).
 * --profile           wraps every kernel of the backend with a timer and prints per-kernel totals
 *                     for the timed part; "outside kernels" is tfjs' own bookkeeping and JS glue.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { initBackend, type BackendName } from '../src/backend/select.ts';
import { DEFAULT_PEER as PEER, PYTHON, peerProblem } from '../src/bench/bench.ts';
import { loadFashionMnist } from '../src/data/dataset.ts';

const TRAIN_IMAGES = 60000;
// The peer runs with the environment this script started with, whatever the backend's loading does
// to this process's (src/backend/native/addon.ts sets OMP_WAIT_POLICY only while it loads).
const STARTUP_ENV = { ...process.env };

interface Options {
  backend: BackendName;
  threads?: number;
  tasks: string[];
  images: number;
  profile: boolean;
  peer: boolean;
  json: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { backend: 'native', tasks: ['lenet5_train_epoch', 'vgg16_forward'], images: TRAIN_IMAGES, profile: false, peer: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i] ?? '';
    if (a === '--backend') o.backend = next() as BackendName;
    else if (a === '--threads') o.threads = Number(next());
    else if (a === '--tasks') o.tasks = next().split(',');
    else if (a === '--images') o.images = Number(next());
    else if (a === '--profile') o.profile = true;
    else if (a === '--peer') o.peer = true;
    else if (a === '--json') o.json = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

// ---- per-kernel profile

export interface KernelStat { ms: number; calls: number }

/** Re-register every kernel of `backend` behind a timer. Returns the live stats map and a reset. */
export function installKernelTimers(backend: string): { stats: Map<string, KernelStat>; reset: () => void } {
  const stats = new Map<string, KernelStat>();
  for (const config of tf.getKernelsForBackend(backend)) {
    const inner = config.kernelFunc;
    const stat: KernelStat = { ms: 0, calls: 0 };
    stats.set(config.kernelName, stat);
    tf.unregisterKernel(config.kernelName, backend);
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        const t0 = performance.now();
        const out = inner(args);
        stat.ms += performance.now() - t0;
        stat.calls++;
        return out;
      },
    });
  }
  const reset = () => stats.forEach((s) => { s.ms = 0; s.calls = 0; });
  return { stats, reset };
}

function formatProfile(stats: Map<string, KernelStat>, totalMs: number, steps: number): string {
  const rows = [...stats.entries()].filter(([, s]) => s.calls > 0).sort((p, q) => q[1].ms - p[1].ms);
  const inKernels = rows.reduce((s, [, r]) => s + r.ms, 0);
  const lines = rows.map(([name, s]) =>
    `  ${name.padEnd(36)} ${s.ms.toFixed(0).padStart(7)} ms ${((100 * s.ms) / totalMs).toFixed(1).padStart(5)}%  ${(s.calls / steps).toFixed(1).padStart(6)} calls/step  ${((1000 * s.ms) / s.calls).toFixed(0).padStart(6)} µs/call`);
  lines.push(`  ${'(outside kernels)'.padEnd(36)} ${(totalMs - inKernels).toFixed(0).padStart(7)} ms ${((100 * (totalMs - inKernels)) / totalMs).toFixed(1).padStart(5)}%`);
  return lines.join('\n');
}

// ---- workloads

function lenet5(): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.conv2d({ filters: 16, kernelSize: 5, padding: 'valid', activation: 'relu' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 120, activation: 'relu' }));
  m.add(tf.layers.dense({ units: 84, activation: 'relu' }));
  m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  return m;
}

function vgg16Base(): tf.Sequential {
  const m = tf.sequential();
  let first = true;
  for (const v of [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'] as const) {
    if (v === 'M') {
      m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    } else {
      m.add(tf.layers.conv2d({ ...(first ? { inputShape: [32, 32, 3] } : {}), filters: v, kernelSize: 3, padding: 'same', activation: 'relu' }));
      first = false;
    }
  }
  return m;
}

/** Training images as [0,1] floats and their labels: the real ones when found, else random. */
function trainingData(): { x: Float32Array; y: Uint8Array; real: boolean } {
  try {
    const d = loadFashionMnist({ splits: ['train'] });
    const x = new Float32Array(d.train.images.length);
    for (let i = 0; i < x.length; i++) x[i] = d.train.images[i] / 255;
    return { x, y: d.train.labels, real: true };
  } catch {
    const x = new Float32Array(TRAIN_IMAGES * 784);
    for (let i = 0; i < x.length; i++) x[i] = Math.random();
    return { x, y: Uint8Array.from({ length: TRAIN_IMAGES }, () => Math.floor(Math.random() * 10)), real: false };
  }
}

interface Result { task: string; seconds: number; images_per_s: number; [k: string]: unknown }

async function lenet5TrainEpoch(o: Options, profiler?: ReturnType<typeof installKernelTimers>): Promise<{ result: Result; profile?: string }> {
  const batch = 64;
  const data = trainingData();
  const n = Math.min(o.images, data.y.length);
  const model = lenet5();
  const optimizer = tf.train.adam(1e-3);
  const order = Int32Array.from({ length: data.y.length }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const xb = new Float32Array(batch * 784);
  const yb = new Float32Array(batch * 10);
  const step = (start: number) => {
    const count = Math.min(batch, n - start);
    yb.fill(0);
    for (let b = 0; b < count; b++) {
      const k = order[start + b];
      xb.set(data.x.subarray(k * 784, (k + 1) * 784), b * 784);
      yb[b * 10 + data.y[k]] = 1;
    }
    tf.tidy(() => {
      const x = tf.tensor4d(xb.subarray(0, count * 784), [count, 28, 28, 1]);
      const y = tf.tensor2d(yb.subarray(0, count * 10), [count, 10]);
      optimizer.minimize(() => tf.mean(tf.metrics.categoricalCrossentropy(y, model.apply(x) as tf.Tensor)) as tf.Scalar);
    });
  };
  for (let s = 0; s < 30; s++) step((s * batch) % (n - batch));
  profiler?.reset();
  const faults0 = process.resourceUsage().minorPageFault;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let steps = 0;
  for (let start = 0; start < n; start += batch, steps++) step(start);
  const ms = performance.now() - t0;
  const faultsPerStep = (process.resourceUsage().minorPageFault - faults0) / steps;
  // CPU time of all our threads: with 1 thread, close to what the wall time would be on an idle
  // machine (the wall time also counts waiting for a core while other jobs run).
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = ((cpu.user + cpu.system) / 1e6) * (TRAIN_IMAGES / n);
  model.dispose();
  optimizer.dispose();
  const seconds = ((ms / 1000) * TRAIN_IMAGES) / n;
  return {
    result: { task: 'lenet5_train_epoch', batch, images: n, real_data: data.real, seconds: round(seconds), images_per_s: round((n * 1000) / ms, 1), ms_per_step: round(ms / steps, 2), cpu_seconds: round(cpuSeconds), page_faults_per_step: Math.round(faultsPerStep) },
    profile: profiler ? formatProfile(profiler.stats, ms, steps) : undefined,
  };
}

async function vgg16Forward(_o: Options, profiler?: ReturnType<typeof installKernelTimers>): Promise<{ result: Result; profile?: string }> {
  const batch = 256;
  const model = vgg16Base();
  const x = tf.randomUniform([batch, 32, 32, 3], 0, 1, 'float32', 0);
  const pass = async () => {
    const t0 = performance.now();
    const y = model.predict(x, { batchSize: batch }) as tf.Tensor; // one batch of 256, as the peer (predict defaults to 32)
    await y.data();
    y.dispose();
    return performance.now() - t0;
  };
  await pass();
  profiler?.reset();
  const times = [await pass(), await pass()];
  const ms = Math.min(...times);
  x.dispose();
  model.dispose();
  return {
    result: { task: 'vgg16_forward', input: [32, 32, 3], batch, seconds: round(ms / 1000), images_per_s: round((batch * 1000) / ms, 1), passes_ms: times.map((t) => round(t, 0)) },
    profile: profiler ? formatProfile(profiler.stats, times[0] + times[1], 2) : undefined,
  };
}

const round = (v: number, digits = 3) => Math.round(v * 10 ** digits) / 10 ** digits;

// ---- peer

function runPeer(tasks: string[], threads: number): Map<string, Result> {
  const out = new Map<string, Result>();
  const problem = peerProblem(PEER);
  if (problem) {
    process.stderr.write(`peer skipped: ${problem}\n`);
    return out;
  }
  const r = spawnSync(PYTHON, [PEER, '--tasks', tasks.join(','), '--threads', String(threads)], { encoding: 'utf8', env: STARTUP_ENV });
  for (const line of (r.stdout ?? '').split('\n')) {
    if (!line.startsWith('{')) continue;
    const row = JSON.parse(line) as Result;
    out.set(row.task, row);
  }
  if (r.status !== 0) process.stderr.write(`peer failed: ${(r.stderr ?? '').trim().split('\n').pop()}\n`);
  return out;
}

// ---- main

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const info = await initBackend(o.backend, o.threads);
  const say = (s: string) => process.stdout.write(`${s}\n`);
  say(`backend: ${info.name} (${info.threads} threads)${Object.keys(info.skipped).length ? ` skipped: ${JSON.stringify(info.skipped)}` : ''}`);
  const peer = o.peer ? runPeer(o.tasks, info.threads) : new Map<string, Result>();
  for (const row of peer.values()) say(`peer ${row.task}: ${row.seconds} s, ${row.images_per_s} images/s (torch ${row.version})`);
  const profiler = o.profile ? installKernelTimers(info.name) : undefined;
  const workloads: Record<string, typeof lenet5TrainEpoch> = { lenet5_train_epoch: lenet5TrainEpoch, vgg16_forward: vgg16Forward };
  for (const task of o.tasks) {
    const w = workloads[task];
    if (!w) throw new Error(`unknown task ${task}`);
    const { result, profile } = await w(o, profiler);
    const p = peer.get(task);
    const ratio = p ? { peer_seconds: p.seconds, time_ratio: round(result.seconds / p.seconds, 2) } : {};
    const row = { backend: info.name, threads: info.threads, ...result, ...ratio };
    if (o.json) say(JSON.stringify(row));
    else say(`${info.name} ${task}: ${result.seconds} s, ${result.images_per_s} images/s${p ? `; peer ${p.seconds} s → ${ratio.time_ratio}x the peer's time` : ''}`);
    if (profile) say(profile);
  }
}

await main();
