/**
 * `fmnist bench`: the same work in this project (on each backend asked for) and in the PyTorch
 * peer, in one run, each task in its own process, with ratios against the peer.
 *
 * Precision: ours run at the bench's --precision (auto|fp32|bf16, the global option; each child
 * reports the precision it actually used). The peer runs in float32 always (`pytorch`, the
 * reference of every ratio and of peak memory) and, unless fp32 was asked, once more under
 * bf16 autocast (`pytorch-bf16`): the best a PyTorch user gets on the same CPU.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Precision, PrecisionSetting } from '../backend/precision.ts';
import type { TaskName, WorkloadResult } from './workloads.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The project's PyTorch peer (bench/peer_pytorch.py), found from this module, not the cwd. */
export const DEFAULT_PEER = join(ROOT, 'bench', 'peer_pytorch.py');
/** Debian's Python, where python3-torch and python3-numpy install. */
export const PYTHON = '/usr/bin/python3';
/** What to install for the peer; the npm setup leaves it out (about 1 GB, only `fmnist bench` uses it). */
export const PEER_PACKAGES = 'python3-torch python3-numpy';

/**
 * Why the peer cannot run, in one line, or undefined when it can: no script, no /usr/bin/python3,
 * or PyTorch/NumPy missing or failing to import there (then which Debian packages to install).
 */
export function peerProblem(peer: string = DEFAULT_PEER): string | undefined {
  if (!existsSync(peer)) return `peer script not found at ${peer}`;
  if (!existsSync(PYTHON)) return `${PYTHON} not found: sudo apt-get install python3 ${PEER_PACKAGES}`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  if (probe.status === 0) return undefined;
  const last = (probe.stderr ?? '').trim().split('\n').pop() ?? '';
  if (/ModuleNotFoundError/.test(last)) return `PyTorch peer needs ${PEER_PACKAGES} (${PYTHON}: ${last.replace(/^ModuleNotFoundError: /, '')}): sudo apt-get install ${PEER_PACKAGES}`;
  return `PyTorch does not import in ${PYTHON} (${last || `exit ${probe.status}`}): sudo apt-get install --reinstall ${PEER_PACKAGES}`;
}

/** Tasks compared by wall time (training to a point); the others by throughput. */
const SECONDS_TASKS: readonly string[] = ['lenet5_train_epoch', 'resnet9_fast_epoch'];
/** Tasks whose peer also takes --images (the LeNet-5 peer always trains its full epoch). */
const PARTIAL_PEER_TASKS: readonly string[] = ['resnet9_fast_epoch'];

/** The peer's measurement's `who` in one precision: 'pytorch' (float32) or 'pytorch-bf16' (autocast). */
export function peerWho(precision: Precision): string {
  return precision === 'bf16' ? 'pytorch-bf16' : 'pytorch';
}

export interface Measurement extends Partial<WorkloadResult> {
  who: string; // 'pytorch' | 'pytorch-bf16' | backend name
  task: string;
  /** The precision the run used: the peer's --precision, or what our child chose from the asked one. */
  precision?: string;
  max_rss_mb?: number;
  threads?: number;
  skipped?: string;
}

export interface BenchRow {
  task: string;
  metric: 'seconds' | 'images_per_s';
  /** PyTorch in float32: the reference of `ratio` and `memoryRatio`. */
  peer?: number;
  /** PyTorch under bf16 autocast (measured unless the bench ran at --precision fp32). */
  peerBf16?: number;
  ours: Record<string, number | undefined>;
  /** The precision each backend of ours ran in (from its child). */
  precision: Record<string, string | undefined>;
  /** ours / peer (f32): for seconds ≤ 1 is better, for images_per_s ≥ 1 is better. */
  ratio: Record<string, number | undefined>;
  /** ours / peerBf16, read the same way. */
  ratioBf16: Record<string, number | undefined>;
  /** Peak RSS in MiB: PyTorch f32, PyTorch bf16, ours per backend. */
  peerMemory?: number;
  peerBf16Memory?: number;
  memory: Record<string, number | undefined>;
  /** ours / PyTorch f32 peak memory: ≤ 1 is the goal. */
  memoryRatio: Record<string, number | undefined>;
}

export interface BenchReport {
  measurements: Measurement[];
  rows: BenchRow[];
}

type RunOptions = { threads?: number; dataDir?: string; images?: number; steps?: number };

/** One task on one backend of ours, in a child process at `precision` (the global --precision). */
export function runOurs(backend: string, task: TaskName, precision: PrecisionSetting, o: RunOptions): Measurement {
  const args = [join(ROOT, 'bin/fmnist.js'), '--backend', backend, '--precision', precision, '--json'];
  if (o.threads) args.push('--threads', String(o.threads));
  if (o.dataDir) args.push('--data-dir', o.dataDir);
  args.push('bench', '--worker', task);
  if (o.images) args.push('--images', String(o.images));
  if (o.steps) args.push('--steps', String(o.steps));
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) return { who: backend, task, skipped: (r.stderr.trim().split('\n').pop() ?? 'failed').replace(/^fmnist: /, '') };
  try {
    return { ...(JSON.parse(r.stdout) as Measurement), who: backend, task };
  } catch {
    return { who: backend, task, skipped: 'the worker printed no JSON result' };
  }
}

/**
 * One task in the PyTorch peer, in float32 or under bf16 autocast (its --precision). Its peak RSS
 * comes from getrusage in a small wrapper that runs the script with runpy and prints one more JSON
 * line, {"max_rss_mb": …}, once the script returns.
 */
export function runPeer(peer: string, task: TaskName, precision: Precision, o: RunOptions): Measurement {
  const who = peerWho(precision);
  const problem = peerProblem(peer);
  if (problem) return { who, task, precision, skipped: problem };
  const wrapper = [
    'import json, resource, runpy, sys',
    'sys.argv = sys.argv[1:]',
    'runpy.run_path(sys.argv[0], run_name="__main__")',
    'print(json.dumps({"max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))',
  ].join('\n');
  const args = ['-c', wrapper, peer, '--tasks', task, '--precision', precision];
  if (o.threads) args.push('--threads', String(o.threads));
  if (o.dataDir) args.push('--data-dir', o.dataDir);
  if (o.steps) args.push('--steps', String(o.steps));
  if (o.images && PARTIAL_PEER_TASKS.includes(task)) args.push('--images', String(o.images));
  // PyTorch's OpenMP threads wait the way ours do (native/addon.ts sets the same while loading):
  // with libgomp's default spinning, a busy machine cost it 30x (EfficientNetB1 step, load ~8 on
  // 2 cores: 2.0 images/s spinning, 58.5 passive, measured back to back).
  const env = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' };
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 1 << 24, env });
  if (r.status !== 0) return { who, task, precision, skipped: r.stderr.trim().split('\n').pop() ?? 'failed' };
  const objs = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const result = objs.find((x) => x.task === task);
  const rss = objs.find((x) => 'max_rss_mb' in x);
  if (!result) return { who, task, precision, skipped: 'the peer printed no result' };
  return { ...(result as unknown as Measurement), who, task, max_rss_mb: rss?.max_rss_mb as number };
}

/**
 * Every task on the peer (float32, and bf16 autocast unless `precision` is fp32) and on each of our
 * backends at `precision` (default fp32, as initBackend's for a library caller; the CLI passes its
 * --precision), then one row per task.
 */
export function runBench(o: RunOptions & { tasks: TaskName[]; backends: string[]; peer?: string | null; precision?: PrecisionSetting; say: (l: string) => void }): BenchReport {
  const precision = o.precision ?? 'fp32';
  const peerPrecisions: Precision[] = precision === 'fp32' ? ['fp32'] : ['fp32', 'bf16'];
  const measurements: Measurement[] = [];
  for (const task of o.tasks) {
    if (o.peer !== null) {
      for (const p of peerPrecisions) {
        o.say(`bench: ${task} on ${peerWho(p)}…`);
        measurements.push(runPeer(o.peer ?? DEFAULT_PEER, task, p, o));
      }
    }
    for (const backend of o.backends) {
      o.say(`bench: ${task} on ${backend} (--precision ${precision})…`);
      measurements.push(runOurs(backend, task, precision, o));
    }
  }
  return { measurements, rows: benchRows(o.tasks, o.backends, measurements) };
}

/** One row per task from the measurements (skipped ones count as missing): figures, ratios, peak memory. */
export function benchRows(tasks: readonly string[], backends: readonly string[], measurements: readonly Measurement[]): BenchRow[] {
  const ok = (task: string, who: string) => measurements.find((m) => m.task === task && m.who === who && !m.skipped);
  const div = (a: number | undefined, b: number | undefined) => (typeof a === 'number' && typeof b === 'number' && b > 0 ? a / b : undefined);
  return tasks.map((task) => {
    const metric = SECONDS_TASKS.includes(task) ? 'seconds' : 'images_per_s';
    const peer = ok(task, peerWho('fp32'));
    const peerBf16 = ok(task, peerWho('bf16'));
    const row: BenchRow = {
      task, metric,
      peer: peer?.[metric] as number | undefined,
      peerBf16: peerBf16?.[metric] as number | undefined,
      ours: {}, precision: {}, ratio: {}, ratioBf16: {},
      peerMemory: peer?.max_rss_mb, peerBf16Memory: peerBf16?.max_rss_mb, memory: {}, memoryRatio: {},
    };
    for (const b of backends) {
      const m = ok(task, b);
      row.ours[b] = m?.[metric] as number | undefined;
      row.precision[b] = m?.precision;
      row.ratio[b] = div(row.ours[b], row.peer);
      row.ratioBf16[b] = div(row.ours[b], row.peerBf16);
      row.memory[b] = m?.max_rss_mb;
      row.memoryRatio[b] = div(m?.max_rss_mb, row.peerMemory);
    }
    return row;
  });
}

/** Text columns: each cell right-aligned to its column's widest (the first column left-aligned). */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' ').trimEnd();
  return [line(header), ...rows.map(line)];
}

/**
 * The report as two tables, speed then peak memory, and a line per measurement (threads, test
 * accuracy, why skipped). The PyTorch bf16 columns appear when the bench measured it.
 */
export function formatBench(r: BenchReport, backends: string[]): string {
  const f = (v: number | undefined, d = 2) => (v === undefined ? '—' : v.toFixed(d));
  const bf16 = r.measurements.some((m) => m.who === peerWho('bf16'));
  const label = (b: string) => {
    const ps = [...new Set(r.rows.map((row) => row.precision[b]).filter((p): p is string => p !== undefined))];
    return ps.length ? `${b} ${ps.join('/')}` : b;
  };
  const speed = table(
    ['task', 'metric', 'pytorch f32', ...(bf16 ? ['pytorch bf16'] : []), ...backends.flatMap((b) => [label(b), 'vs f32', ...(bf16 ? ['vs bf16'] : [])])],
    r.rows.map((row) => [row.task, row.metric, f(row.peer, 1), ...(bf16 ? [f(row.peerBf16, 1)] : []),
      ...backends.flatMap((b) => [f(row.ours[b], 1), f(row.ratio[b]), ...(bf16 ? [f(row.ratioBf16[b])] : [])])]),
  );
  const memory = table(
    ['peak memory (MiB)', 'pytorch f32', ...(bf16 ? ['pytorch bf16'] : []), ...backends.flatMap((b) => [label(b), 'vs f32'])],
    r.rows.map((row) => [row.task, f(row.peerMemory, 0), ...(bf16 ? [f(row.peerBf16Memory, 0)] : []),
      ...backends.flatMap((b) => [f(row.memory[b], 0), f(row.memoryRatio[b])])]),
  );
  const lines = [
    ...speed,
    `vs f32${bf16 ? ', vs bf16' : ''} = ours / pytorch f32${bf16 ? ', ours / pytorch bf16 (autocast)' : ''}:`,
    '  for seconds lower is better (goal ≤ 1.00), for images_per_s higher is better (goal ≥ 1.00)',
    '',
    ...memory,
    'vs f32 = our peak RSS / PyTorch f32\'s: goal ≤ 1.00 on every task',
    '',
    'runs (threads, precision, and for training tasks the test accuracy reached):',
  ];
  const who = Math.max(...r.measurements.map((m) => m.who.length), 7);
  for (const m of r.measurements) {
    const acc = typeof m.test_accuracy === 'number' ? `, test accuracy ${(m.test_accuracy * 100).toFixed(2)}%` : '';
    lines.push(`  ${m.task.padEnd(26)} ${m.who.padEnd(who)} ${m.skipped ? `skipped: ${m.skipped}` : `${f(m.max_rss_mb, 0)} MiB, ${m.threads ?? '?'} threads, ${m.precision ?? '?'}${acc}`}`);
  }
  return lines.join('\n');
}
