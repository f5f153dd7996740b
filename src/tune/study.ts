/**
 * A tuning study (`fmnist tune`): sample configurations, train each as a trial on the training
 * split's stratified held-out validation part (the test set is never touched), prune hopeless
 * trials, and — once, at the end — retrain the best configuration on the whole training pool and
 * score it on the test set.
 *
 * Resumability: the study's state is `study.json` in the study folder, replaced atomically on
 * every change and written only by this (coordinating) process. A trial's parameters are
 * written before it starts, so a rerun after a kill reuses them; finished trials are skipped;
 * an unfinished one continues from its checkpoint (see job.ts). `--trials` may grow on a rerun;
 * every other setting must match.
 *
 * Trial 0 is always the configuration the study starts from (the defaults, or --config), run to
 * the end without pruning (Optuna's enqueue_trial): the best trial is then never worse than the
 * starting point on the study's own objective, and "tuned" can be compared with "untuned".
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseTrainConfig, type TrainConfig } from '../config.ts';
import type { FashionMnist } from '../data/dataset.ts';
import { interruption } from '../train/train.ts';
import type { EpochMetrics } from '../train/types.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import { formatDuration } from '../util/progress.ts';
import { JobRunner, objectiveOf, type Job, type JobResult } from './job.ts';
import { writeHistoryChart, writeParamsChart } from './report.ts';
import type { Scheduler } from './scheduler.ts';
import { paramsOf, type Params, type SearchSpace } from './space.ts';
import { makeStrategy, type StrategyName } from './strategies/index.ts';
import type { PeerCurve, PrunerSpec, TrialState, TrialView } from './types.ts';

export const STUDY_FILE = 'study.json';

export interface TuneSettings {
  strategy: StrategyName;
  /** Sampling seed (trial n's draws depend on it and n only). */
  seed: number;
  space: SearchSpace;
  /** Settings every trial starts from (defaults ← --config ← flags), without limit/valSplit. */
  base: Record<string, unknown>;
  /** Tune on a stratified subset of this many training images (null = all). */
  limit: number | null;
  /** Held-out validation fraction of the (subset of the) training split. */
  valSplit: number;
  pruner: 'median' | 'none';
}

export interface TrialRecord {
  number: number;
  name: string;
  params: Params;
  config: TrainConfig;
  state: TrialState;
  /** The starting configuration (trial 0): never pruned. */
  start?: boolean;
  /** Validation accuracy per epoch. */
  values: number[];
  /** Validation accuracy after the last epoch (done trials). */
  objective?: number;
  /** Training seconds (this and earlier processes' shares are not summed; see the store for totals). */
  seconds?: number;
  error?: string;
  outDir: string;
}

export interface StudyState {
  version: 1;
  id: string;
  createdAt: string;
  settings: TuneSettings & { prunerSpec: PrunerSpec };
  trials: TrialRecord[];
  best?: number;
  final?: { outDir: string; config: TrainConfig; testAccuracy: number; testLoss: number; macroF1: number; trainImages: number; seconds: number };
}

export interface TuneOptions extends TuneSettings {
  outDir: string;
  trials: number;
  scheduler: Scheduler;
  /** Run store file (null = none). */
  db: string | null;
  say: (line: string) => void;
  /** Retrain the best configuration on the whole pool and score it on the test set, once (in this process). */
  final?: { data: FashionMnist; progress?: boolean };
}

export interface TuneResult {
  outDir: string;
  state: StudyState;
  best?: TrialRecord;
  files: Record<string, string>;
}

const pad = (n: number) => String(n).padStart(3, '0');

function loadState(path: string): StudyState | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as StudyState;
  } catch (err) {
    throw new UserError(`${path}: unreadable study state (${(err as Error).message}); move it away to start over`);
  }
}

/** The first setting that differs, for a one-line refusal. */
function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) || Array.isArray(b)) return path || '(settings)';
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
    if (d) return d;
  }
  return path || '(settings)';
}

export async function runTune(o: TuneOptions): Promise<TuneResult> {
  const outDir = resolve(o.outDir);
  const statePath = join(outDir, STUDY_FILE);
  if (!Number.isInteger(o.trials) || o.trials < 1) throw new UserError(`--trials must be a whole number ≥ 1, got ${o.trials}`);
  if (!(o.valSplit > 0 && o.valSplit < 1)) throw new UserError(`tuning needs a held-out validation split: --val-split must be between 0 and 1, got ${o.valSplit}`);

  // Every trial's config is base ← fixed ← params; check the common part once, up front.
  const common = parseTrainConfig({ ...o.base, ...o.space.fixed, limit: o.limit, valSplit: o.valSplit }, 'tuning settings');
  const strategy = makeStrategy(o.strategy, { space: o.space, seed: o.seed, trials: o.trials, epochs: common.epochs, pruner: o.pruner });
  const settings: StudyState['settings'] = {
    strategy: o.strategy, seed: o.seed, space: o.space, base: o.base, limit: o.limit, valSplit: o.valSplit, pruner: o.pruner, prunerSpec: strategy.prunerSpec,
  };

  let state = loadState(statePath);
  if (state) {
    // What the user chose must match; the pruner's derived details may change between versions.
    const chosen = (x: StudyState['settings']) => JSON.parse(JSON.stringify({ ...x, prunerSpec: undefined })) as unknown;
    const diff = firstDifference(chosen(state.settings), chosen(settings));
    if (diff) throw new UserError(`${outDir} holds a study made with different settings ('${diff}' differs): rerun with the same settings to continue it, or choose another --out`);
    state.settings = settings;
  } else {
    state = { version: 1, id: `tune-${basename(outDir) === 'tune' ? basename(dirname(outDir)) : basename(outDir)}-${randomBytes(2).toString('hex')}`, createdAt: new Date().toISOString(), settings, trials: [] };
  }
  const st = state;
  const save = () => writeJsonAtomic(statePath, st);
  save();

  const finishedBefore = st.trials.filter((t) => t.state !== 'running').length;
  const unfinished = st.trials.filter((t) => t.state === 'running');
  if (st.trials.length) o.say(`resuming study ${st.id}: ${finishedBefore} trial${finishedBefore === 1 ? '' : 's'} finished (skipped), ${unfinished.length} to continue`);
  o.say(`tuning: ${o.strategy}, ${o.trials} trials, ${common.epochs} epochs each at most, ${o.limit ?? 'all'} training images (${Math.round(o.valSplit * 100)}% held out), ${o.scheduler.slots} at a time → ${outDir}`);

  const curve = (t: TrialRecord): PeerCurve => ({ number: t.number, state: t.state, values: t.values });
  const views = (): TrialView[] => st.trials.map((t) => ({ number: t.number, params: t.params, state: t.state, objective: t.objective, values: t.values }));

  const newTrial = (number: number): TrialRecord => {
    const start = number === 0;
    const params = start ? paramsOf(o.space, common) : strategy.sampler.suggest(number, views());
    const name = `trial-${pad(number)}`;
    const config = parseTrainConfig({ ...o.base, ...o.space.fixed, ...params, limit: o.limit, valSplit: o.valSplit }, name);
    return { number, name, params, config, state: 'running', ...(start ? { start } : {}), values: [], outDir: join('trials', name) };
  };

  const jobFor = (t: TrialRecord): Job => ({
    kind: 'trial', group: st.id, name: t.name, outDir: join(outDir, t.outDir), config: t.config, db: o.db,
    prune: strategy.prunerSpec.kind === 'none' || t.start ? undefined : { number: t.number, spec: strategy.prunerSpec, peers: st.trials.map(curve) },
  });

  const finish = (t: TrialRecord, r: JobResult) => {
    t.values = r.epochs.map(objectiveOf);
    t.seconds = r.seconds;
    t.error = r.error;
    if (r.status === 'failed') t.state = 'failed';
    else if (r.status === 'pruned') t.state = 'pruned';
    else {
      t.state = 'done';
      t.objective = t.values[t.values.length - 1];
      if (!Number.isFinite(t.objective)) { t.state = 'failed'; t.error = 'no validation accuracy'; t.objective = undefined; }
    }
  };

  const describe = (t: TrialRecord) => {
    const last = t.values[t.values.length - 1];
    const what = t.state === 'done' ? `val_acc ${pct(t.objective)}` : t.state === 'pruned' ? `pruned after epoch ${t.values.length} (val_acc ${pct(last)})` : `failed: ${t.error}`;
    return `${t.name}${t.start ? ' (start)' : ''} ${what} ${formatDuration(t.seconds ?? 0)}  ${formatParams(t.params)}`;
  };

  // ---- the loop: keep every slot busy until the planned trials are done
  const queue = [...unfinished];
  let next = st.trials.length;
  const running = new Map<number, Promise<void>>();
  let failure: unknown;
  const launch = (t: TrialRecord) => {
    const p = o.scheduler.run(jobFor(t), (m: EpochMetrics) => {
      t.values = [...t.values.slice(0, m.epoch - 1), objectiveOf(m)];
      save();
      o.scheduler.publish(curve(t));
      if (t.config.epochs > 1) o.say(`  ${t.name} epoch ${m.epoch}/${t.config.epochs} val_acc ${pct(m.valAcc)}`);
    }).then((r) => {
      finish(t, r);
      save();
      o.scheduler.publish(curve(t));
      o.say(`${r.reused ? '(found finished) ' : ''}${describe(t)}`);
    }, (err: unknown) => { failure ??= err; })
      .finally(() => running.delete(t.number));
    running.set(t.number, p);
  };

  while (true) {
    if (interruption.requested && failure === undefined) { o.scheduler.cancel(); failure = interruptedError(st); }
    while (failure === undefined && running.size < o.scheduler.slots && (queue.length || next < o.trials)) {
      const t = queue.shift() ?? newTrial(next++);
      if (!st.trials.includes(t)) st.trials.push(t);
      save();
      launch(t);
    }
    if (!running.size) break;
    // Wake at least twice a second to notice Ctrl-C while trials run elsewhere.
    await Promise.race([...running.values(), new Promise((r) => setTimeout(r, 500).unref())]);
  }
  if (failure !== undefined) {
    if (interruption.requested) throw interruptedError(st);
    throw failure;
  }

  // ---- results
  const done = st.trials.filter((t) => t.state === 'done' && t.objective !== undefined);
  const best = done.reduce<TrialRecord | undefined>((b, t) => (!b || t.objective! > b.objective! ? t : b), undefined);
  st.best = best?.number;
  save();
  const files: Record<string, string> = { study: statePath };
  files.trials = join(outDir, 'trials.csv');
  writeTrialsCsv(files.trials, st);
  if (best) {
    files.bestConfig = join(outDir, 'best_config.json');
    writeJsonAtomic(files.bestConfig, bestConfigFile(best, o));
  }
  const history = await writeHistoryChart(st.trials, join(outDir, 'history'));
  const params = await writeParamsChart(st.trials, o.space, join(outDir, 'params'));
  Object.assign(files, { historyPng: history.png, paramsPng: params.png });

  if (best && o.final) {
    const dir = join(outDir, `final-${best.name}`);
    if (st.final?.outDir === dir) {
      o.say(`final model already trained and tested: ${dir}`);
    } else {
      st.final = await refitAndTest(best, dir, st.id, o.db, o.final, o.say);
      save();
    }
  }
  files.results = join(outDir, 'results.json');
  writeJsonAtomic(files.results, { id: st.id, settings: st.settings, best: best ? summary(best) : null, final: st.final ?? null, trials: st.trials.map(summary) });
  return { outDir, state: st, best, files };
}

function interruptedError(st: StudyState): UserError {
  const n = st.trials.filter((t) => t.state !== 'running').length;
  return new UserError(`interrupted with ${n} trial${n === 1 ? '' : 's'} finished; rerun the same command to continue the study`, 130);
}

/** The final refit: the best trial's configuration, trained on the whole pool (no held-out part). */
export function finalConfig(best: TrialRecord): TrainConfig {
  return parseTrainConfig({ ...best.config, valSplit: 0 }, 'final configuration');
}

/**
 * Retrain the best configuration on the whole pool (the study's subset, or all 60,000 images)
 * and evaluate it on the test set — the only time a study looks at the test set. Resumable like
 * a trial (same job runner).
 */
async function refitAndTest(best: TrialRecord, dir: string, group: string, db: string | null, f: NonNullable<TuneOptions['final']>, say: (l: string) => void): Promise<NonNullable<StudyState['final']>> {
  const config = finalConfig(best);
  say(`final: retraining ${best.name}'s configuration on ${config.limit ?? 'all'} training images (no held-out part), then the test set once → ${dir}`);
  const runner = new JobRunner(f.data, { progress: f.progress });
  let r: JobResult;
  try {
    r = await runner.run({ kind: 'train', group, name: 'final', outDir: dir, config, db });
  } finally {
    runner.close();
  }
  if (r.status === 'failed') throw new UserError(`final retraining of ${best.name} failed: ${r.error}`);
  const { evaluateModel } = await import('../evaluate/evaluate.ts');
  const ev = await evaluateModel(dir, 'test', f.data);
  const trainImages = config.limit ?? f.data.train.count;
  say(`final: test accuracy ${pct(ev.accuracy)} (validation estimate was ${pct(best.objective)})`);
  return { outDir: dir, config, testAccuracy: ev.accuracy, testLoss: ev.loss, macroF1: ev.macroF1, trainImages, seconds: r.seconds };
}

/**
 * best_config.json: the tuned settings as a config file for `fmnist train --config` / `fmnist cv`.
 * It holds the base settings, the fixed space values and the tuned parameters — not the study's
 * subset size, so training with it uses the whole training split unless --limit says otherwise.
 */
export function bestConfigFile(best: TrialRecord, o: Pick<TuneSettings, 'base' | 'space'>): Record<string, unknown> {
  const cfg: Record<string, unknown> = { ...o.base, ...o.space.fixed, ...best.params };
  parseTrainConfig(cfg, 'best configuration');
  return cfg;
}

const summary = (t: TrialRecord) => ({ number: t.number, name: t.name, start: t.start ?? false, state: t.state, objective: t.objective ?? null, epochs: t.values.length, seconds: t.seconds ?? null, params: t.params, error: t.error });

/** A difference of two accuracies in percentage points, signed. */
export const pp = (v: number) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(2)} pp`;

export const pct = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : `${(v * 100).toFixed(2)}%`);

function formatValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) < 0.01 ? v.toExponential(2) : v.toFixed(3);
  return String(v);
}

export function formatParams(p: Params): string {
  return Object.entries(p).map(([k, v]) => `${k}=${formatValue(v)}`).join(' ');
}

/** The trial table for people (best marked with *). */
export function formatTrials(st: StudyState): string {
  const keys = st.settings.space.params.map((p) => p.key);
  const head = ['trial', 'state', 'val_acc', 'epochs', 'time', ...keys];
  const rows = st.trials.map((t) => [
    `${t.number === st.best ? '*' : ' '}${t.number}`, t.state, pct(t.objective), String(t.values.length), formatDuration(t.seconds ?? 0), ...keys.map((k) => formatValue(t.params[k])),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padStart(widths[i])).join('  ')).join('\n');
}

function writeTrialsCsv(path: string, st: StudyState): void {
  const keys = st.settings.space.params.map((p) => p.key);
  const esc = (v: unknown) => (v === undefined || v === null ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  const lines = [['number', 'name', 'state', 'objective', 'epochs', 'seconds', ...keys, 'error'].join(',')];
  for (const t of st.trials) lines.push([t.number, t.name, t.state, t.objective, t.values.length, t.seconds, ...keys.map((k) => t.params[k]), t.error].map(esc).join(','));
  writeFileAtomic(path, lines.join('\n') + '\n');
}

