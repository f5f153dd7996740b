/**
 * What the HTML report and `fmnist serve` show, gathered read-only from the run store, run
 * folders and study folders (never locking or writing any of them): runs with their per-epoch
 * metrics, evaluations written by `fmnist evaluate`, tuning and CV studies, transfer runs.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ExploreSummary } from '../../data/explore.ts';
import type { EvaluationReport } from '../../evaluate/evaluate.ts';
import { RunStore, type RunRow } from '../../store/run_store.ts';
import { readMetrics, readRunJson } from '../../train/run_folder.ts';
import type { EpochMetrics } from '../../train/types.ts';
import type { CvResult } from '../../tune/cv.ts';
import { TUNE_FILE, type TuneState } from '../../tune/tune.ts';
import type { StudyStages } from '../study_report.ts';

export interface RunView {
  /** The run store's id; null for a run folder the store does not know. */
  id: number | null;
  name: string;
  kind: string;
  group: string | null;
  status: string;
  outDir: string | null;
  config: Record<string, unknown>;
  epochs: EpochMetrics[];
  final: Record<string, number> | null;
  seconds: number | null;
  startedAt: string | null;
}

export interface EvaluationView { run: RunView; report: EvaluationReport }
export interface TuneView { dir: string; state: TuneState }
export interface CvView { dir: string; result: CvResult }
export interface AblationRow { base: string; setup: string; mistake: string | null; testAcc: number; chance: boolean }

export interface ReportData {
  study?: { dir: string; profile: string; stages: StudyStages };
  explore?: { dir: string; summary: ExploreSummary };
  /** Training runs shown one by one (trials and folds are shown in their studies). */
  runs: RunView[];
  evaluations: EvaluationView[];
  tunes: TuneView[];
  cvs: CvView[];
  transfer: RunView[];
  ablation?: AblationRow[];
}

/**
 * The newest study folder under `root` (what `fmnist study` writes: out/study-PROFILE/study.json),
 * if any: what `fmnist report` and `fmnist serve` show when no --study is given.
 */
export function newestStudy(root = 'out'): string | undefined {
  if (!existsSync(root)) return undefined;
  return readdirSync(root).map((n) => join(root, n)).filter((d) => existsSync(join(d, 'study.json')))
    .sort((a, b) => statSync(join(b, 'study.json')).mtimeMs - statSync(join(a, 'study.json')).mtimeMs)[0];
}

/** A JSON file, or undefined when it is missing or unreadable (a report never fails on one bad file). */
export function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The transfer base of a run (issue #13's config keys), or undefined for an ordinary run. */
export const baseOf = (r: { config: object }): string | undefined => {
  const base = (r.config as { base?: unknown }).base;
  return typeof base === 'string' && base ? base : undefined;
};

/** Config keys that mean something only for a transfer run (config.ts: "all unused when base is null"). */
const TRANSFER_KEYS = new Set(['base', 'weights', 'mode', 'inputSize', 'cut', 'unfreeze', 'headEpochs', 'finetuneLr',
  'preprocess', 'baseTraining']);

/**
 * Whether a recorded setting applies to the run. Every config holds every key with its default,
 * so a transfer run still records `model: 'lenet5'` (its architecture is its base) and an ordinary
 * run records `mode: 'features'`; shown as they are, they label the run wrongly.
 */
export const settingApplies = (config: object, key: string): boolean =>
  (baseOf({ config }) ? key !== 'model' : !TRANSFER_KEYS.has(key));

/** The architecture a run trained: its transfer base, else its model. */
export const modelOf = (r: { config: object }): string =>
  baseOf(r) ?? String((r.config as { model?: unknown }).model ?? 'lenet5');

const label = (r: RunRow) => r.name ?? (r.outDir ? r.outDir.split('/').slice(-1)[0] : `run ${r.id}`);

export function viewOfRow(r: RunRow, epochs: EpochMetrics[]): RunView {
  return {
    id: r.id, name: label(r), kind: r.kind, group: r.group, status: r.status, outDir: r.outDir, config: r.config as unknown as Record<string, unknown>,
    epochs, final: r.finalMetrics, seconds: r.seconds, startedAt: r.startedAt,
  };
}

/** A run folder the store does not know, read from its run.json and metrics.jsonl. */
export function viewOfFolder(dir: string): RunView | undefined {
  const run = readRunJson(dir);
  if (!run) return undefined;
  return {
    id: null, name: dir.split('/').slice(-1)[0], kind: 'train', group: null, status: run.status ?? 'unknown', outDir: dir,
    config: (run.config ?? {}) as Record<string, unknown>, epochs: readMetrics(dir), final: (run.final as Record<string, number>) ?? null,
    seconds: run.timings?.totalSeconds ?? null, startedAt: (run.startedAt as string) ?? null,
  };
}

/** The evaluations `fmnist evaluate` wrote in a run folder (eval-test/, eval-val/). */
export function evaluationsOf(run: RunView): EvaluationView[] {
  if (!run.outDir) return [];
  return ['test', 'val'].flatMap((split) => {
    const report = readJson<EvaluationReport>(join(run.outDir!, `eval-${split}`, 'metrics.json'));
    return report?.confusion ? [{ run, report }] : [];
  });
}

/** Test accuracy of a run: its evaluation on the test set, else a test figure in its final metrics. */
export function testAccuracy(r: RunView): number | undefined {
  const ev = evaluationsOf(r).find((e) => e.report.split === 'test');
  return ev?.report.accuracy ?? r.final?.testAcc ?? r.final?.testAccuracy;
}

/** Rows of the store (all, or the given ids); [] when there is no store yet. */
export function storeRuns(db: string | null | undefined, ids?: number[]): { rows: RunRow[]; epochs: (id: number) => EpochMetrics[] } {
  if (!db || !existsSync(db)) return { rows: [], epochs: () => [] };
  const store = RunStore.openReadOnly(db);
  try {
    const rows = store.listRuns().filter((r) => !ids || ids.includes(r.id));
    const shown = new Map(rows.filter((r) => r.kind !== 'trial' && r.kind !== 'fold').map((r) => [r.id, store.getRun(r.id).epochs] as const));
    return { rows, epochs: (id) => shown.get(id) ?? [] };
  } finally {
    store.close();
  }
}

export function collectReport(o: { db?: string | null; study?: string; runs?: number[] }): ReportData {
  const { rows, epochs } = storeRuns(o.db, o.runs);
  const runs = rows.filter((r) => r.kind !== 'trial' && r.kind !== 'fold').map((r) => viewOfRow(r, epochs(r.id)));
  const data: ReportData = { runs, evaluations: [], tunes: [], cvs: [], transfer: [] };

  const studyDir = o.study ? resolve(o.study) : undefined;
  const study = studyDir ? readJson<{ profile: string; stages: StudyStages }>(join(studyDir, 'study.json')) : undefined;
  if (studyDir && study) {
    data.study = { dir: studyDir, ...study };
    // The study's own runs, also when the store it recorded them in is not this one.
    for (const dir of [study.stages.train?.outDir, study.stages.strongest?.run]) {
      if (!dir || runs.some((r) => r.outDir === dir)) continue;
      const v = viewOfFolder(dir);
      if (v) runs.unshift(v);
    }
  }
  const exploreDir = [studyDir && join(studyDir, 'explore'), resolve('out/explore')].find((d) => d && existsSync(join(d, 'summary.json')));
  const summary = exploreDir ? readJson<ExploreSummary>(join(exploreDir, 'summary.json')) : undefined;
  if (exploreDir && summary) data.explore = { dir: exploreDir, summary };

  // Studies: the study's own, and those whose trials or folds are in the store (trials/<name>, <label>/fold-NN).
  const parentOf = (kind: string) => rows.filter((r) => r.kind === kind && r.outDir).map((r) => dirname(dirname(r.outDir!)));
  const tuneDirs = new Set([...(studyDir ? [join(studyDir, 'tune')] : []), ...parentOf('trial')]);
  for (const dir of tuneDirs) {
    const state = readJson<TuneState>(join(dir, TUNE_FILE));
    if (state?.trials) data.tunes.push({ dir, state });
  }
  const cvDirs = new Set([...(studyDir ? [join(studyDir, 'cv')] : []), ...parentOf('fold')]);
  for (const dir of cvDirs) {
    const result = readJson<CvResult>(join(dir, 'results.json'));
    if (result?.summaries) data.cvs.push({ dir, result });
  }

  data.evaluations = runs.flatMap(evaluationsOf);
  data.transfer = runs.filter((r) => baseOf(r));
  const ablation = studyDir ? readJson<{ rows: AblationRow[] }>(join(studyDir, 'transfer', 'ablation.json')) : undefined;
  if (Array.isArray(ablation?.rows)) data.ablation = ablation.rows;
  return data;
}
