/**
 * `fmnist bench`: the same work in this project (on each backend asked for) and in the PyTorch
 * peer, in one run, each task in its own process, with ratios against the peer.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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

export interface Measurement extends Partial<WorkloadResult> {
  who: string; // 'pytorch' | backend name
  task: string;
  max_rss_mb?: number;
  threads?: number;
  skipped?: string;
}

export interface BenchRow {
  task: string;
  metric: 'seconds' | 'images_per_s';
  peer?: number;
  ours: Record<string, number | undefined>;
  /** ours / peer: for seconds ≤ 1 is better, for images_per_s ≥ 1 is better. */
  ratio: Record<string, number | undefined>;
  memoryRatio: Record<string, number | undefined>;
}

export interface BenchReport {
  measurements: Measurement[];
  rows: BenchRow[];
}

/** One task on one backend of ours, in a child process. */
function runOurs(backend: string, task: TaskName, o: { threads?: number; dataDir?: string; images?: number; steps?: number }): Measurement {
  const args = [join(ROOT, 'bin/fmnist.js'), '--backend', backend, '--json'];
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
 * One task in the PyTorch peer. Its peak RSS comes from getrusage in a small wrapper that runs the
 * script with runpy and prints one more JSON line, {"max_rss_mb": …}, once the script returns.
 */
function runPeer(peer: string, task: TaskName, o: { threads?: number; dataDir?: string; images?: number; steps?: number }): Measurement {
  const problem = peerProblem(peer);
  if (problem) return { who: 'pytorch', task, skipped: problem };
  const wrapper = [
    'import json, resource, runpy, sys',
    'sys.argv = sys.argv[1:]',
    'runpy.run_path(sys.argv[0], run_name="__main__")',
    'print(json.dumps({"max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))',
  ].join('\n');
  const args = ['-c', wrapper, peer, '--tasks', task];
  if (o.threads) args.push('--threads', String(o.threads));
  if (o.dataDir) args.push('--data-dir', o.dataDir);
  if (o.steps) args.push('--steps', String(o.steps));
  if (o.images && PARTIAL_PEER_TASKS.includes(task)) args.push('--images', String(o.images));
  // PyTorch's OpenMP threads wait the way ours do (native/addon.ts sets the same while loading):
  // with libgomp's default spinning, a busy machine cost it 30x (EfficientNetB1 step, load ~8 on
  // 2 cores: 2.0 images/s spinning, 58.5 passive, measured back to back).
  const env = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' };
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 1 << 24, env });
  if (r.status !== 0) return { who: 'pytorch', task, skipped: r.stderr.trim().split('\n').pop() ?? 'failed' };
  const objs = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const result = objs.find((x) => x.task === task);
  const rss = objs.find((x) => 'max_rss_mb' in x);
  if (!result) return { who: 'pytorch', task, skipped: 'the peer printed no result' };
  return { ...(result as unknown as Measurement), who: 'pytorch', task, max_rss_mb: rss?.max_rss_mb as number };
}

export function runBench(o: { tasks: TaskName[]; backends: string[]; peer?: string | null; threads?: number; dataDir?: string; images?: number; steps?: number; say: (l: string) => void }): BenchReport {
  const measurements: Measurement[] = [];
  for (const task of o.tasks) {
    if (o.peer !== null) {
      o.say(`bench: ${task} on pytorch…`);
      measurements.push(runPeer(o.peer ?? DEFAULT_PEER, task, o));
    }
    for (const backend of o.backends) {
      o.say(`bench: ${task} on ${backend}…`);
      measurements.push(runOurs(backend, task, o));
    }
  }
  const rows: BenchRow[] = o.tasks.map((task) => {
    const metric = SECONDS_TASKS.includes(task) ? 'seconds' : 'images_per_s';
    const peer = measurements.find((m) => m.task === task && m.who === 'pytorch' && !m.skipped);
    const ours: BenchRow['ours'] = {};
    const ratio: BenchRow['ratio'] = {};
    const memoryRatio: BenchRow['memoryRatio'] = {};
    for (const b of o.backends) {
      const m = measurements.find((x) => x.task === task && x.who === b && !x.skipped);
      ours[b] = m?.[metric] as number | undefined;
      ratio[b] = m && peer ? (m[metric] as number) / (peer[metric] as number) : undefined;
      memoryRatio[b] = m?.max_rss_mb && peer?.max_rss_mb ? m.max_rss_mb / peer.max_rss_mb : undefined;
    }
    return { task, metric, peer: peer?.[metric] as number | undefined, ours, ratio, memoryRatio };
  });
  return { measurements, rows };
}

export function formatBench(r: BenchReport, backends: string[]): string {
  const f = (v: number | undefined, d = 2) => (v === undefined ? '—' : v.toFixed(d));
  const lines = [`${'task'.padEnd(26)} ${'metric'.padEnd(13)} ${'pytorch'.padStart(9)} ${backends.map((b) => `${b.padStart(9)} ${'ratio'.padStart(6)}`).join(' ')}`];
  for (const row of r.rows) {
    lines.push(`${row.task.padEnd(26)} ${row.metric.padEnd(13)} ${f(row.peer, 1).padStart(9)} ${backends.map((b) => `${f(row.ours[b], 1).padStart(9)} ${f(row.ratio[b]).padStart(6)}`).join(' ')}`);
  }
  lines.push('ratio = ours / pytorch: for seconds lower is better (goal ≤ 1.00), for images_per_s higher is better (goal ≥ 1.00)');
  lines.push('peak memory (MiB) and, for training tasks, the test accuracy reached:');
  for (const m of r.measurements) {
    const acc = typeof m.test_accuracy === 'number' ? `, test accuracy ${(m.test_accuracy * 100).toFixed(2)}%` : '';
    lines.push(`  ${m.task.padEnd(26)} ${m.who.padEnd(8)} ${m.skipped ? `skipped: ${m.skipped}` : `${f(m.max_rss_mb, 0)} MiB, ${m.threads ?? '?'} threads${acc}`}`);
  }
  return lines.join('\n');
}
