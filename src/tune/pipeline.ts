/**
 * The study pipeline's tuning and cross-validation stages (called from src/pipeline/study.ts):
 *
 *   quick: TPE, 6 trials of 3 epochs on a 3,000-image subset (20% held out) → refit + test once;
 *          3-fold CV of the default vs the tuned configuration on the same subset (3 epochs each).
 *   full:  Hyperband, 34 trials (two Hyperband rounds for R = 9 epochs, η = 3) on all 60,000
 *          training images (10% held out) → refit on all 60,000 + test once; 10-fold CV of the
 *          default recipe vs the tuned configuration on all 60,000, with the corrected t-test.
 *
 * Both resume: rerunning the study continues each stage where it stopped.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { mergeConfig, readConfigFile, type TrainConfigInput } from '../config.ts';
import { currentBackend } from '../backend/select.ts';
import type { FashionMnist } from '../data/dataset.ts';
import type { StudyStages } from '../report/study_report.ts';
import { DEFAULT_DB } from '../store/run_store.ts';
import { formatCv, runCv } from './cv.ts';
import { InProcessScheduler, ProcessPoolScheduler, type Scheduler } from './scheduler.ts';
import { defaultSpace, parseSpace } from './space.ts';
import type { StrategyName } from './strategies/index.ts';
import { formatTrials, pct, runTune } from './study.ts';

export interface TuningProfile {
  strategy: StrategyName;
  trials: number;
  epochs: number;
  limit: number | null;
  valSplit: number;
  folds: number;
  /** The "default" side of the comparison (the profile's LeNet-5 settings). */
  defaults: TrainConfigInput;
}

export const PROFILE_TUNING: Record<'quick' | 'full', TuningProfile> = {
  quick: { strategy: 'tpe', trials: 6, epochs: 3, limit: 3000, valSplit: 0.2, folds: 3, defaults: { epochs: 3 } },
  full: { strategy: 'hyperband', trials: 34, epochs: 9, limit: null, valSplit: 0.1, folds: 10, defaults: {} },
};

export interface TuningStagesOptions {
  profile: 'quick' | 'full';
  outDir: string;
  data: FashionMnist;
  dataDir?: string;
  db?: string;
  say: (line: string) => void;
  /** Trials/folds at once, each in a worker process (default: full profile one per core, at most 4; quick in-process). */
  parallel?: number;
}

/**
 * The scheduler for a stage. Worker processes pay off on every backend for LeNet-5: wasm runs one
 * thread per instance, and on native a LeNet-5 step is dominated by single-threaded JS work
 * (measured on 2 cores: 10.4 s/epoch with 1 oneDNN thread, 10.9 s with 2), so two one-thread
 * processes train about twice the epochs per hour of one two-thread process.
 */
function schedulerFor(o: TuningStagesOptions): Scheduler {
  const backend = currentBackend();
  const parallel = o.parallel ?? (o.profile === 'full' ? Math.min(4, cpus().length) : 1);
  if (parallel <= 1 || !backend) return new InProcessScheduler(o.data);
  o.say(`${parallel} worker processes (${backend.name})`);
  return new ProcessPoolScheduler({ size: parallel, threads: Math.max(parallel, backend.threads), backend: backend.name, dataDir: o.dataDir });
}

export async function runTuningStage(o: TuningStagesOptions): Promise<NonNullable<StudyStages['tune']> & { outDir: string; id: string }> {
  const p = PROFILE_TUNING[o.profile];
  const scheduler = schedulerFor(o);
  try {
    const r = await runTune({
      outDir: join(o.outDir, 'tune'), strategy: p.strategy, trials: p.trials, space: parseSpace(defaultSpace(p.epochs), 'default space'),
      base: {}, limit: p.limit, valSplit: p.valSplit, seed: 0, pruner: 'median', scheduler, db: o.db ?? process.env.FMNIST_DB ?? DEFAULT_DB,
      say: o.say, final: { data: o.data, progress: true },
    });
    o.say(formatTrials(r.state));
    if (r.best) o.say(`best: ${r.best.name} val_acc ${pct(r.best.objective)}; test accuracy after retraining: ${pct(r.state.final?.testAccuracy)}`);
    const counts: Record<string, number> = {};
    for (const t of r.state.trials) counts[t.state] = (counts[t.state] ?? 0) + 1;
    return { outDir: r.outDir, id: r.state.id, strategy: p.strategy, counts, best: r.best ?? null, final: r.state.final ?? null, files: r.files };
  } finally {
    await scheduler.close();
  }
}

export async function runCvStage(o: TuningStagesOptions, bestConfigPath: string): Promise<NonNullable<StudyStages['cv']> & { outDir: string; id: string }> {
  const p = PROFILE_TUNING[o.profile];
  const scheduler = schedulerFor(o);
  try {
    const r = await runCv({
      outDir: join(o.outDir, 'cv'),
      configs: [
        { label: 'default', config: mergeConfig(p.defaults as Record<string, unknown>, {}, `${o.profile} profile`), source: `${o.profile} profile defaults` },
        { label: 'tuned', config: mergeConfig(readConfigFile(bestConfigPath), {}, bestConfigPath), source: bestConfigPath },
      ],
      folds: p.folds, seed: 42, limit: p.limit, scheduler, db: o.db ?? process.env.FMNIST_DB ?? DEFAULT_DB, labels: o.data.train.labels, say: o.say,
    });
    o.say(formatCv(r));
    return { outDir: r.outDir, id: r.id, sizes: r.sizes, summaries: r.summaries, comparison: r.comparison ?? null, files: r.files };
  } finally {
    await scheduler.close();
  }
}
