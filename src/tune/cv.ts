/**
 * Stratified k-fold cross-validation (`fmnist cv`): every configuration is trained k times, each
 * time validated on a different, disjoint, stratified 1/k of the training pool; with two
 * configurations (`--compare`) both use the very same folds, so their per-fold scores pair up
 * and the corrected resampled t-test (Nadeau & Bengio) says whether the difference is real.
 *
 * A fold's score is the held-out accuracy after its last epoch — not of the best epoch, which
 * would be chosen on the held-out fold itself and flatter it.
 *
 * Resumable like tuning: `cv.json` in the output folder records finished folds (atomically, only
 * this process writes it); a rerun of the same command skips them and continues unfinished ones
 * from their checkpoints.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { recipeSettings } from '../recipes.ts';
import { mergeConfig, readConfigFile, type TrainConfig } from '../config.ts';
import { stratifiedKFold, stratifiedSubset } from '../data/split.ts';
import { pct, pp } from '../util/format.ts';
import { confidenceInterval, correctedResampledTTest, mean, std, type Interval, type PairedTest } from '../evaluate/stats.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import { Interrupted } from '../util/interrupt.ts';
import { formatDuration } from '../util/progress.ts';
import type { Job, JobResult } from '../jobs/job.ts';
import { runJobs } from '../jobs/run_jobs.ts';
import { withFolderLock } from '../util/folder_lock.ts';
import { writeFoldsChart } from './report.ts';
import type { Scheduler } from '../jobs/scheduler.ts';

export const CV_FILE = 'cv.json';

export interface CvConfig {
  /** Short name used in tables, folders and the store ('default', 'tuned', …). */
  label: string;
  config: TrainConfig;
  /** Where it came from (a file path, or 'defaults'). */
  source: string;
}

export interface CvOptions {
  outDir: string;
  /** One configuration, or two to compare (the difference reported is second − first). */
  configs: CvConfig[];
  folds: number;
  /** Seed of the folds (and of the subset with `limit`). */
  seed: number;
  limit: number | null;
  scheduler: Scheduler;
  db: string | null;
  /** Training-split labels: fold sizes (for n_test/n_train) are computed from them here. */
  labels: Uint8Array;
  say: (line: string) => void;
  /** Aborting it stops the running folds at their next batch (the CV stays resumable) and throws Interrupted. */
  signal?: AbortSignal;
}

export interface FoldRecord {
  config: string;
  fold: number; // 1-based
  name: string;
  outDir: string;
  state: 'running' | 'done' | 'failed';
  accuracy?: number;
  epochs?: number;
  seconds?: number;
  error?: string;
}

export interface CvSummary {
  config: string;
  source: string;
  folds: number[];
  mean: number;
  std: number;
  /** 95% CI with the Nadeau–Bengio variance correction (the honest one). */
  ci95: Interval;
  /** The textbook t interval, for reference (too narrow for CV). */
  naiveCi95: Interval;
}

export interface CvState {
  version: 1;
  id: string;
  createdAt: string;
  settings: { folds: number; seed: number; limit: number | null; configs: { label: string; config: TrainConfig }[] };
  /** Images validated / trained on per fold (mean over folds). */
  sizes: { val: number; train: number };
  folds: FoldRecord[];
}

export interface CvResult {
  outDir: string;
  id: string;
  folds: number;
  sizes: { val: number; train: number; testTrainRatio: number };
  summaries: CvSummary[];
  /** With two configurations: second − first on the same folds. */
  comparison?: PairedTest & { first: string; second: string };
  table: FoldRecord[];
  files: Record<string, string>;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Labels usable as folder names and store names. */
export function labelFor(path: string | undefined, fallback: string): string {
  if (!path) return fallback;
  const stem = basename(path).replace(/\.json$/i, '').replace(/[^A-Za-z0-9_.-]+/g, '-');
  return stem || fallback;
}

/** A configuration to cross-validate: a JSON file, or the word 'defaults' (when no such file exists) for the built-in recipe. */
export function cvConfigFrom(arg: string | undefined, epochs: number | undefined, fallbackLabel: string): CvConfig {
  const recipe = arg?.match(/^recipe:(.+)$/)?.[1];
  if (recipe) return { label: recipe, config: mergeConfig({ origin: `recipe ${recipe}`, settings: recipeSettings(recipe) }, { origin: 'flags', settings: { epochs } }), source: arg! };
  if (arg === undefined || ((arg === 'defaults' || arg === 'default') && !existsSync(arg))) {
    return { label: arg ?? fallbackLabel, config: mergeConfig({ origin: 'flags', settings: { epochs } }), source: 'defaults' };
  }
  return { label: labelFor(arg, fallbackLabel), config: mergeConfig({ origin: arg, settings: readConfigFile(arg) }, { origin: 'flags', settings: { epochs } }), source: resolve(arg) };
}

/**
 * The configurations of a CV: one (default: the built-in recipe), or two to compare (labelled
 * apart when their names clash), each with `epochs` overriding its own when given.
 */
export function cvConfigs(args: string[] | undefined, epochs?: number): CvConfig[] {
  if (!args || args.length === 0) return [cvConfigFrom(undefined, epochs, 'defaults')];
  if (args.length === 1) return [cvConfigFrom(args[0], epochs, 'defaults')];
  if (args.length !== 2) throw new UserError(`cross-validation compares two configurations, got ${args.length}`);
  const configs = [cvConfigFrom(args[0], epochs, 'A'), cvConfigFrom(args[1], epochs, 'B')];
  if (configs[0].label === configs[1].label) { configs[0].label += '-A'; configs[1].label += '-B'; }
  return configs;
}

/** Early stopping on a fold's held-out part lets that part pick the fold's model, which flatters its score. */
export const flattersFolds = (configs: CvConfig[]): boolean => configs.some((c) => c.config.patience > 0);

/**
 * Holds the CV folder's writer lock (util/folder_lock.ts) throughout: a second process
 * cross-validating into the same folder is refused at once. Each fold is a train run in a subfolder,
 * locked by whichever process trains it.
 */
export async function runCv(o: CvOptions): Promise<CvResult> {
  return withFolderLock(resolve(o.outDir), 'cv', () => runCvLocked(o));
}

async function runCvLocked(o: CvOptions): Promise<CvResult> {
  if (!Number.isInteger(o.folds) || o.folds < 2) throw new UserError(`folds must be a whole number ≥ 2, got ${o.folds}`);
  if (o.configs.length < 1 || o.configs.length > 2) throw new Error('runCv takes one or two configurations');
  if (new Set(o.configs.map((c) => c.label)).size !== o.configs.length) throw new Error('configuration labels must differ');
  const outDir = resolve(o.outDir);
  const statePath = join(outDir, CV_FILE);

  // Fold sizes from the same seeded split every job will compute.
  const pool = o.limit ? stratifiedSubset(o.labels, o.limit, o.seed) : Int32Array.from({ length: o.labels.length }, (_, i) => i);
  const folds = stratifiedKFold(Uint8Array.from(pool, (i) => o.labels[i]), o.folds, o.seed);
  const sizes = { val: mean(folds.map((f) => f.val.length)), train: mean(folds.map((f) => f.train.length)) };

  const settings: CvState['settings'] = { folds: o.folds, seed: o.seed, limit: o.limit, configs: o.configs.map((c) => ({ label: c.label, config: c.config })) };
  let st: CvState | undefined;
  if (existsSync(statePath)) {
    try {
      st = JSON.parse(readFileSync(statePath, 'utf8')) as CvState;
    } catch (err) {
      throw new UserError(`${statePath}: unreadable CV state (${(err as Error).message}); move it away to start over`);
    }
    if (JSON.stringify(st.settings) !== JSON.stringify(settings)) {
      throw new UserError(`${outDir} holds a cross-validation with other settings (folds, seed, limit or configurations differ): rerun with the same settings to continue it, or choose another output folder`);
    }
  } else {
    st = { version: 1, id: `cv-${basename(outDir) === 'cv' ? basename(dirname(outDir)) : basename(outDir)}-${randomBytes(2).toString('hex')}`, createdAt: new Date().toISOString(), settings, sizes, folds: [] };
  }
  const state = st;
  const save = () => writeJsonAtomic(statePath, state);
  save();

  // Fold by fold, configurations interleaved: a partial run already has paired results.
  const plan: { cfg: CvConfig; fold: number }[] = [];
  for (let f = 1; f <= o.folds; f++) for (const cfg of o.configs) plan.push({ cfg, fold: f });
  const recordOf = (label: string, fold: number) => state.folds.find((r) => r.config === label && r.fold === fold);
  const skipped = plan.filter((p) => recordOf(p.cfg.label, p.fold)?.state === 'done').length;
  if (skipped) o.say(`resuming ${state.id}: ${skipped} fold run${skipped === 1 ? '' : 's'} finished (skipped)`);
  o.say(`cross-validation: ${o.folds} stratified folds (seed ${o.seed}) of ${pool.length} training images (${Math.round(sizes.train)} train / ${Math.round(sizes.val)} held out per fold), ${o.configs.map((c) => c.label).join(' vs ')}, ${o.scheduler.slots} at a time → ${outDir}`);

  const todo = plan.filter((p) => recordOf(p.cfg.label, p.fold)?.state !== 'done');
  await runJobs(o.scheduler, {
    signal: o.signal,
    interrupted: () => interrupted(state),
    next: () => {
      const planned = todo.shift();
      if (!planned) return undefined;
      const { cfg, fold } = planned;
      const name = `${cfg.label}-fold-${pad2(fold)}`;
      let rec = recordOf(cfg.label, fold);
      if (!rec) { rec = { config: cfg.label, fold, name, outDir: join(cfg.label, `fold-${pad2(fold)}`), state: 'running' }; state.folds.push(rec); }
      rec.state = 'running';
      save();
      const r0 = rec;
      const job: Job = {
        kind: 'fold', group: state.id, name, outDir: join(outDir, rec.outDir), db: o.db,
        config: { ...cfg.config, limit: o.limit },
        split: { kind: 'kfold', k: o.folds, fold: fold - 1, seed: o.seed, limit: o.limit },
      };
      return {
        job,
        onEpoch: (m) => {
          if (cfg.config.epochs > 1) o.say(`  ${name} epoch ${m.epoch}/${cfg.config.epochs} val_acc ${pct(m.valAcc)}`);
        },
        onResult: (r: JobResult) => {
          const last = r.epochs[r.epochs.length - 1];
          r0.epochs = r.epochs.length;
          r0.seconds = r.seconds;
          if (r.status === 'failed' || last?.valAcc === undefined) { r0.state = 'failed'; r0.error = r.error ?? 'no held-out accuracy'; }
          else { r0.state = 'done'; r0.accuracy = last.valAcc; r0.error = undefined; }
          save();
          o.say(`${r.reused ? '(found finished) ' : ''}${name}: ${r0.state === 'done' ? `accuracy ${pct(r0.accuracy)}` : `failed: ${r0.error}`} ${formatDuration(r.seconds)}`);
        },
      };
    },
  });

  const failed = state.folds.filter((r) => r.state === 'failed');
  if (failed.length) throw new UserError(`${failed.length} fold run${failed.length === 1 ? '' : 's'} failed (${failed[0].name}: ${failed[0].error}); fix the configuration and rerun in another output folder`);

  // ---- statistics
  const ratio = sizes.val / sizes.train;
  const scores = (label: string) => Array.from({ length: o.folds }, (_, f) => recordOf(label, f + 1)!.accuracy!);
  const summaries: CvSummary[] = o.configs.map((c) => {
    const s = scores(c.label);
    const ci95 = confidenceInterval(s, { testTrainRatio: ratio });
    return { config: c.label, source: c.source, folds: s, mean: mean(s), std: std(s), ci95, naiveCi95: confidenceInterval(s) };
  });
  let comparison: CvResult['comparison'];
  if (o.configs.length === 2) {
    const [a, b] = o.configs;
    comparison = { ...correctedResampledTTest(scores(b.label), scores(a.label), { testTrainRatio: ratio }), first: a.label, second: b.label };
  }

  const files: Record<string, string> = { state: statePath, results: join(outDir, 'results.json'), table: join(outDir, 'folds.csv') };
  writeFileAtomic(files.table, ['fold,' + o.configs.map((c) => c.label).join(','), ...Array.from({ length: o.folds }, (_, f) => [f + 1, ...o.configs.map((c) => recordOf(c.label, f + 1)!.accuracy)].join(','))].join('\n') + '\n');
  const chart = await writeFoldsChart(
    o.configs.flatMap((c) => scores(c.label).map((accuracy, f) => ({ config: c.label, fold: f + 1, accuracy }))),
    summaries.map((s) => ({ config: s.config, mean: s.mean, low: s.ci95.low, high: s.ci95.high })),
    join(outDir, 'folds'),
  );
  files.chartPng = chart.png;
  files.chartSvg = chart.svg;
  const result: CvResult = { outDir, id: state.id, folds: o.folds, sizes: { ...sizes, testTrainRatio: ratio }, summaries, comparison, table: state.folds, files };
  writeJsonAtomic(files.results, result);
  return result;
}

function interrupted(st: CvState): Interrupted {
  const n = st.folds.filter((r) => r.state === 'done').length;
  return new Interrupted(`interrupted with ${n} fold run${n === 1 ? '' : 's'} finished; rerun the same command to continue`);
}

/** The better configuration of a comparison at the 5% level, or null when the difference is not significant. */
export function cvWinner(c: PairedTest & { first: string; second: string }): string | null {
  return c.p < 0.05 ? (c.meanDiff > 0 ? c.second : c.first) : null;
}

/** The per-fold table, each configuration's mean ± std and 95% CI, and the paired test. */
export function formatCv(r: CvResult): string {
  const labels = r.summaries.map((s) => s.config);
  const w = Math.max(8, ...labels.map((l) => l.length));
  const lines = [`fold  ${labels.map((l) => l.padStart(w)).join('  ')}${r.comparison ? `  ${'diff'.padStart(9)}` : ''}`];
  for (let f = 0; f < r.folds; f++) {
    const row = r.summaries.map((s) => pct(s.folds[f]).padStart(w));
    lines.push(`${String(f + 1).padStart(4)}  ${row.join('  ')}${r.comparison ? `  ${pp(r.summaries[1].folds[f] - r.summaries[0].folds[f]).padStart(9)}` : ''}`);
  }
  lines.push('');
  for (const s of r.summaries) {
    lines.push(`${s.config}: ${pct(s.mean)} ± ${(s.std * 100).toFixed(2)} (std over ${r.folds} folds); 95% CI [${pct(s.ci95.low)}, ${pct(s.ci95.high)}] (Nadeau–Bengio corrected; uncorrected [${pct(s.naiveCi95.low)}, ${pct(s.naiveCi95.high)}])`);
  }
  const c = r.comparison;
  if (c) {
    const winner = cvWinner(c);
    const verdict = winner ? `${winner} is better (p < 0.05)` : 'no significant difference at the 5% level';
    lines.push(`${c.second} − ${c.first}: ${pp(c.meanDiff)}, 95% CI [${pp(c.ci.low)}, ${pp(c.ci.high)}], corrected resampled t = ${c.t.toFixed(3)}, df = ${c.df}, p = ${c.p.toPrecision(3)} (n_test/n_train = ${c.testTrainRatio.toFixed(4)}): ${verdict}`);
  }
  lines.push(`files: ${r.files.results}, ${r.files.table}, ${r.files.chartPng}`);
  return lines.join('\n');
}
