/**
 * The study's tuning and cross-validation stages (5 and 6 of src/pipeline/study.ts), sized by the
 * profile table (src/pipeline/profiles.ts):
 *
 *   5. tune LeNet-5 on a held-out validation split of the training pool, starting from the
 *      profile's default settings (trial 0), then retrain the best on the whole pool and test once;
 *   6. k-fold CV of the default against the tuned configuration on the same stratified folds,
 *      with the corrected resampled t-test — or of the default alone when tuning kept it.
 *
 * Both resume: rerunning the study continues each stage where it stopped.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { mergeConfig, readConfigFile } from '../config.ts';
import type { FashionMnist } from '../data/dataset.ts';
import type { StudyStages } from '../report/study_report.ts';
import { defaultDbPath } from '../store/run_store.ts';
import { formatCv, runCv, type CvConfig } from '../tune/cv.ts';
import { makeScheduler, ProcessPoolScheduler, type Scheduler } from '../jobs/scheduler.ts';
import { defaultSpace, parseSpace } from '../search/space.ts';
import { formatTrials, runTune } from '../tune/tune.ts';
import { pct } from '../util/format.ts';
import { cvDefaults, PROFILES, type Profile } from './profiles.ts';

export interface TuningStagesOptions {
  profile: Profile;
  outDir: string;
  data: FashionMnist;
  dataDir?: string;
  db?: string;
  say: (line: string) => void;
  /** Trials/folds at once, each in a worker process (default: the profile's). */
  parallel?: number;
  /** Send trials and folds to fmnist workers through BullMQ on Redis (jobs/remote.ts). */
  remote?: { url: string; artifacts?: string; say?: (line: string) => void };
  /** Aborting it stops the stage's running trials/folds at their next batch; rerunning continues them. */
  signal?: AbortSignal;
}

/** The scheduler for a stage: the profile's parallelism (or one worker per core, at most 4); see makeScheduler. */
function schedulerFor(o: TuningStagesOptions): Scheduler {
  const parallel = o.parallel ?? (o.remote ? 8 : PROFILES[o.profile].parallel ?? Math.min(4, cpus().length));
  const scheduler = makeScheduler({ parallel, data: o.data, dataDir: o.dataDir, remote: o.remote });
  if (o.remote) o.say(`trials and folds go to the fmnist workers through Redis, ${scheduler.slots} queued at a time`);
  if (scheduler instanceof ProcessPoolScheduler) o.say(`${parallel} worker processes (${scheduler.backend})`);
  return scheduler;
}

export async function runTuningStage(o: TuningStagesOptions): Promise<NonNullable<StudyStages['tune']> & { outDir: string; id: string }> {
  const p = PROFILES[o.profile].tune;
  const scheduler = schedulerFor(o);
  try {
    const r = await runTune({
      outDir: join(o.outDir, 'tune'), strategy: p.strategy, trials: p.trials, space: parseSpace(defaultSpace(p.epochs), 'default space'),
      base: {}, limit: p.limit, valSplit: p.valSplit, seed: 0, pruner: 'median', scheduler, db: o.db ?? defaultDbPath(),
      say: o.say, final: { data: o.data }, signal: o.signal,
    });
    o.say(formatTrials(r.state));
    const start = r.state.trials.find((t) => t.start);
    if (r.best) o.say(`best: ${r.best.name} val_acc ${pct(r.best.objective)} (start: ${pct(start?.objective)}); test accuracy after retraining: ${pct(r.state.final?.testAccuracy)}`);
    const counts: Record<string, number> = {};
    for (const t of r.state.trials) counts[t.state] = (counts[t.state] ?? 0) + 1;
    return {
      outDir: r.outDir, id: r.state.id, strategy: p.strategy, counts, epochs: r.state.trials[0]?.config.epochs,
      start: start ? { name: start.name, objective: start.objective } : null, best: r.best ?? null, final: r.state.final ?? null, files: r.files,
    };
  } finally {
    await scheduler.close();
  }
}

/** Stage 6. `tuned` is null when tuning kept the starting configuration: the CV then scores the default alone. */
export async function runCvStage(o: TuningStagesOptions, tunedConfigPath: string | null): Promise<NonNullable<StudyStages['cv']> & { outDir: string; id: string }> {
  const profile = PROFILES[o.profile];
  const scheduler = schedulerFor(o);
  const configs: CvConfig[] = [{ label: 'default', config: mergeConfig({ origin: `${o.profile} profile`, settings: cvDefaults(profile) as Record<string, unknown> }), source: `${o.profile} profile defaults` }];
  if (tunedConfigPath) configs.push({ label: 'tuned', config: mergeConfig({ origin: tunedConfigPath, settings: readConfigFile(tunedConfigPath) }), source: tunedConfigPath });
  try {
    const r = await runCv({
      outDir: join(o.outDir, 'cv'), configs, folds: profile.cv.folds, seed: 42, limit: profile.tune.limit, scheduler,
      db: o.db ?? defaultDbPath(), labels: o.data.train.labels, say: o.say, signal: o.signal,
    });
    o.say(formatCv(r));
    return { outDir: r.outDir, id: r.id, sizes: r.sizes, summaries: r.summaries, comparison: r.comparison ?? null, files: r.files };
  } finally {
    await scheduler.close();
  }
}
