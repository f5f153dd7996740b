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
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import { firstDifference } from '../util/diff.ts';
import { UserError } from '../util/errors.ts';
import { Interrupted } from '../util/interrupt.ts';
import { pct } from '../util/format.ts';
import { formatDuration } from '../util/progress.ts';
import { objectiveOf, type Job, type JobResult } from '../jobs/job.ts';
import { runJobs } from '../jobs/run_jobs.ts';
import { withFolderLock } from '../util/folder_lock.ts';
import { writeHistoryChart, writeParamsChart } from './report.ts';
import type { Scheduler } from '../jobs/scheduler.ts';
import { paramsOf, type Params, type SearchSpace } from '../search/space.ts';
import { makeStrategy, type StrategyName } from '../search/strategies/index.ts';
import type { PeerCurve, PrunerSpec, TrialState, TrialView } from '../search/types.ts';

/** The tuning run's state, in its folder (the study pipeline's own is pipeline/study.ts' study.json). */
export const TUNE_FILE = 'tune.json';

export interface TuneSettings {
  strategy: StrategyName;
  /** Sampling seed (trial n's draws depend on it and n only). */
  seed: number;
  space: SearchSpace;
  /** Settings every trial starts from (defaults ← --config ← flags); its limit/valSplit are ignored: the study's own apply. */
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

export interface TuneState {
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
  /** Retrain the best configuration on the whole pool (a job on the scheduler) and score it on the test set, once (here). */
  final?: { data: FashionMnist };
  /** Aborting it stops the running trials at their next batch (the study stays resumable) and throws Interrupted. */
  signal?: AbortSignal;
}

export interface TuneResult {
  outDir: string;
  state: TuneState;
  best?: TrialRecord;
  files: Record<string, string>;
}

const pad = (n: number) => String(n).padStart(3, '0');

function loadState(path: string): TuneState | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as TuneState;
  } catch (err) {
    throw new UserError(`${path}: unreadable study state (${(err as Error).message}); move it away to start over`);
  }
}

/**
 * Holds the study folder's writer lock (util/folder_lock.ts) throughout: a second process
 * tuning into the same folder is refused at once. Each trial is a train run in a subfolder,
 * locked by whichever process trains it.
 */
export async function runTune(o: TuneOptions): Promise<TuneResult> {
  return withFolderLock(resolve(o.outDir), 'tune', () => runTuneLocked(o));
}

async function runTuneLocked(o: TuneOptions): Promise<TuneResult> {
  const outDir = resolve(o.outDir);
  const statePath = join(outDir, TUNE_FILE);
  if (!Number.isInteger(o.trials) || o.trials < 1) throw new UserError(`trials must be a whole number ≥ 1, got ${o.trials}`);
  if (!(o.valSplit > 0 && o.valSplit < 1)) throw new UserError(`tuning needs a held-out validation split: valSplit must be between 0 and 1, got ${o.valSplit}`);
  // The study owns which images train and validate.
  const base = Object.fromEntries(Object.entries(o.base).filter(([k]) => k !== 'limit' && k !== 'valSplit'));

  // Every trial's config is base ← fixed ← params; check the common part once, up front.
  const common = parseTrainConfig({ ...base, ...o.space.fixed, limit: o.limit, valSplit: o.valSplit }, 'tuning settings');
  const strategy = makeStrategy(o.strategy, { space: o.space, seed: o.seed, trials: o.trials, epochs: common.epochs, pruner: o.pruner });
  const settings: TuneState['settings'] = {
    strategy: o.strategy, seed: o.seed, space: o.space, base, limit: o.limit, valSplit: o.valSplit, pruner: o.pruner, prunerSpec: strategy.prunerSpec,
  };

  let state = loadState(statePath);
  if (state) {
    // What the user chose must match; the pruner's derived details may change between versions.
    const chosen = (x: TuneState['settings']) => JSON.parse(JSON.stringify({ ...x, prunerSpec: undefined })) as unknown;
    const diff = firstDifference(chosen(state.settings), chosen(settings));
    if (diff) throw new UserError(`${outDir} holds a study made with different settings ('${diff}' differs): rerun with the same settings to continue it, or choose another output folder`);
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
    const config = parseTrainConfig({ ...base, ...o.space.fixed, ...params, limit: o.limit, valSplit: o.valSplit }, name);
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

  // ---- keep every slot busy until the planned trials are done
  const queue = [...unfinished];
  let next = st.trials.length;
  await runJobs(o.scheduler, {
    signal: o.signal,
    interrupted: () => interruptedError(st),
    next: () => {
      if (!queue.length && next >= o.trials) return undefined;
      const t = queue.shift() ?? newTrial(next++);
      if (!st.trials.includes(t)) st.trials.push(t);
      save();
      return {
        job: jobFor(t),
        onEpoch: (m) => {
          t.values = [...t.values.slice(0, m.epoch - 1), objectiveOf(m)];
          save();
          o.scheduler.publish(curve(t));
          if (t.config.epochs > 1) o.say(`  ${t.name} epoch ${m.epoch}/${t.config.epochs} val_acc ${pct(m.valAcc)}`);
        },
        onResult: (r) => {
          finish(t, r);
          save();
          o.scheduler.publish(curve(t));
          o.say(`${r.reused ? '(found finished) ' : ''}${describe(t)}`);
        },
      };
    },
  });

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
    writeJsonAtomic(files.bestConfig, bestConfigFile(best, settings));
  }
  const history = await writeHistoryChart(st.trials, join(outDir, 'history'));
  const params = await writeParamsChart(st.trials, o.space, join(outDir, 'params'));
  Object.assign(files, { historyPng: history.png, paramsPng: params.png });

  if (best && o.final) {
    const dir = join(outDir, `final-${best.name}`);
    if (st.final?.outDir === dir) {
      o.say(`final model already trained and tested: ${dir}`);
    } else {
      st.final = await refitAndTest(best, dir, st.id, o, o.final);
      save();
    }
  }
  files.results = join(outDir, 'results.json');
  writeJsonAtomic(files.results, { id: st.id, settings: st.settings, best: best ? summary(best) : null, final: st.final ?? null, trials: st.trials.map(summary) });
  return { outDir, state: st, best, files };
}

function interruptedError(st: TuneState): Interrupted {
  const n = st.trials.filter((t) => t.state !== 'running').length;
  return new Interrupted(`interrupted with ${n} trial${n === 1 ? '' : 's'} finished; rerun the same command to continue the study`);
}

/** The final refit: the best trial's configuration, trained on the whole pool (no held-out part). */
export function finalConfig(best: TrialRecord): TrainConfig {
  return parseTrainConfig({ ...best.config, valSplit: 0 }, 'final configuration');
}

/**
 * Retrain the best configuration on the whole pool (the study's subset, or all 60,000 images)
 * and evaluate it on the test set — the only time a study looks at the test set. A job like the
 * trials, on the same scheduler (so on a queue's workers when the trials went there), and resumable
 * like them; the test set is scored here, by the coordinator.
 */
async function refitAndTest(best: TrialRecord, dir: string, group: string, o: Pick<TuneOptions, 'scheduler' | 'db' | 'say' | 'signal'>, f: NonNullable<TuneOptions['final']>): Promise<NonNullable<TuneState['final']>> {
  const { say } = o;
  const config = finalConfig(best);
  say(`final: retraining ${best.name}'s configuration on ${config.limit ?? 'all'} training images (no held-out part), then the test set once → ${dir}`);
  const r = await o.scheduler.run({ kind: 'train', group, name: 'final', outDir: dir, config, db: o.db }, {
    signal: o.signal,
    onEpoch: (m) => say(`  final epoch ${m.epoch}/${config.epochs} loss ${m.loss.toFixed(4)} acc ${pct(m.acc)}`),
  });
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


function formatValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) < 0.01 ? v.toExponential(2) : v.toFixed(3);
  return String(v);
}

export function formatParams(p: Params): string {
  return Object.entries(p).map(([k, v]) => `${k}=${formatValue(v)}`).join(' ');
}

/** The trial table for people (best marked with *). */
export function formatTrials(st: TuneState): string {
  const keys = st.settings.space.params.map((p) => p.key);
  const head = ['trial', 'state', 'val_acc', 'epochs', 'time', ...keys];
  const rows = st.trials.map((t) => [
    `${t.number === st.best ? '*' : ' '}${t.number}`, t.state, pct(t.objective), String(t.values.length), formatDuration(t.seconds ?? 0), ...keys.map((k) => formatValue(t.params[k])),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padStart(widths[i])).join('  ')).join('\n');
}

function writeTrialsCsv(path: string, st: TuneState): void {
  const keys = st.settings.space.params.map((p) => p.key);
  const esc = (v: unknown) => (v === undefined || v === null ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  const lines = [['number', 'name', 'state', 'objective', 'epochs', 'seconds', ...keys, 'error'].join(',')];
  for (const t of st.trials) lines.push([t.number, t.name, t.state, t.objective, t.values.length, t.seconds, ...keys.map((k) => t.params[k]), t.error].map(esc).join(','));
  writeFileAtomic(path, lines.join('\n') + '\n');
}

