/**
 * The study pipeline (`fmnist study`, `npm start`): the published study's stages in order, each
 * writing under one folder and resuming where an interrupted run stopped.
 *
 *   1 verify the data → 2 explore → 3 train LeNet-5 → 4 evaluate on the test set → 5 tune (from
 *   the defaults as trial 0; the best retrained and tested once) → 6 cross-validate the default
 *   against the tuned configuration with the corrected resampled t-test → 7 transfer learning
 *   (transfer_stage.ts) → 8 the strongest model we train (a residual CNN recipe, src/recipes.ts),
 *   ranked with the others in the report.
 *
 * How much each stage trains is the profile's (src/pipeline/profiles.ts); stages 5–6 are in
 * tune_cv.ts.
 */
import { join } from 'node:path';
import { parseTrainConfig } from '../config.ts';
import { loadFashionMnist } from '../data/dataset.ts';
import { explore } from '../data/explore.ts';
import { formatVerify, verifyData } from '../data/verify.ts';
import { evaluateModel, formatEvaluation } from '../evaluate/evaluate.ts';
import { trainAndTest } from '../evaluate/train_and_test.ts';
import { recipeSettings } from '../recipes.ts';
import { writeStudyReport, type StudyStages } from '../report/study_report.ts';
import { studyHtmlReport, writeHtmlReport } from '../report/html/report.ts';
import { finishedRun } from '../train/run_folder.ts';
import { defaultDbPath } from '../store/run_store.ts';
import { train } from '../train/train.ts';
import type { RunRecorder } from '../train/types.ts';
import { writeJsonAtomic } from '../util/atomic.ts';
import { count, pct } from '../util/format.ts';
import { PROFILES, type Profile } from './profiles.ts';

/** Stages 1–8 above, as the progress lines count them. */
const STAGE_COUNT = 8;

export interface StudyOptions {
  profile: Profile;
  outDir: string;
  dataDir?: string;
  say: (line: string) => void;
  recorder?: () => Promise<RunRecorder | undefined>;
  /** Run store for the tuning trials and CV folds (default: defaultDbPath(), i.e. FMNIST_DB or runs/fmnist.db). */
  db?: string;
  /** Tuning trials / CV folds at once in worker processes (default: the profile's). */
  parallel?: number;
  /** Run tuning trials and CV folds on fmnist workers through BullMQ on Redis (jobs/remote.ts). */
  remote?: { url: string; artifacts?: string; say?: (line: string) => void };
  /** Aborting it stops the stage that is training at its next batch (Interrupted); rerunning the study continues it. */
  signal?: AbortSignal;
}

export interface StudyResult {
  profile: Profile;
  outDir: string;
  stages: StudyStages;
  /** report.md: every stage's results and figures in one page. */
  report: string;
  /** report.html: the same and more (every run in the store), self-contained, opens offline. */
  htmlReport: string;
}

export async function runStudy(o: StudyOptions): Promise<StudyResult> {
  const stages: StudyStages = {};
  const stage = (n: number, what: string) => o.say(`== ${n}/${STAGE_COUNT} ${what}`);
  let reportPath = '';
  const htmlPath = studyHtmlReport(o.outDir);
  const record = async () => {
    writeJsonAtomic(join(o.outDir, 'study.json'), { profile: o.profile, stages });
    reportPath = writeStudyReport(o.profile, stages, o.outDir);
    await writeHtmlReport(htmlPath, { db: o.db ?? defaultDbPath(), study: o.outDir });
  };

  stage(1, 'data: verify');
  const report = verifyData(o.dataDir);
  o.say(formatVerify(report));
  stages.data = { dir: report.dir, official: report.official, train: report.splits[0].images, test: report.splits[1].images };
  await record();

  stage(2, 'explore');
  const data = loadFashionMnist({ dataDir: o.dataDir });
  const summary = await explore(data, join(o.outDir, 'explore'));
  stages.explore = { figures: summary.figures, pixel: summary.pixel, duplicates: summary.duplicates };
  await record();

  stage(3, `train LeNet-5 (${o.profile} profile)`);
  const config = parseTrainConfig(PROFILES[o.profile].train, `${o.profile} profile`);
  const trainDir = join(o.outDir, 'lenet5');
  // Done by an earlier run of the study (with this profile's settings): reuse it.
  const trained = finishedRun(trainDir, config);
  if (trained) {
    o.say(`already trained: ${trainDir}`);
    stages.train = { outDir: trained.outDir, epochs: trained.epochs, bestEpoch: trained.bestEpoch, final: trained.final, seconds: trained.seconds };
    await record();
  } else {
    const result = await train({ config, outDir: trainDir, resume: true, data, progress: true, recorder: await o.recorder?.(), signal: o.signal });
    stages.train = { outDir: trainDir, epochs: result.epochs.length, bestEpoch: result.bestEpoch, final: result.final, seconds: result.seconds };
    await record();
  }

  stage(4, 'evaluate on the test set');
  const evaluation = await evaluateModel(trainDir, 'test', data);
  o.say(formatEvaluation(evaluation));
  stages.evaluate = { accuracy: evaluation.accuracy, loss: evaluation.loss, macroF1: evaluation.macroF1, files: evaluation.files };
  await record();

  const { runTuningStage, runCvStage } = await import('./tune_cv.ts');
  const tuning = { profile: o.profile, outDir: o.outDir, data, dataDir: o.dataDir, db: o.db, say: o.say, parallel: o.parallel, remote: o.remote, signal: o.signal };
  stage(5, `tune LeNet-5 on a held-out validation split, then the test set once (${o.profile} profile)`);
  stages.tune = await runTuningStage(tuning);
  await record();

  const bestConfig = stages.tune.files.bestConfig;
  if (bestConfig) {
    // Trial 0 is the default configuration: when it stays the best there is no tuned one to compare.
    const keptStart = stages.tune.best?.name === stages.tune.start?.name;
    stage(6, keptStart
      ? 'cross-validate the default configuration (tuning found nothing better than it on the validation split)'
      : 'cross-validate the default vs the tuned configuration on the same stratified folds');
    stages.cv = await runCvStage(tuning, keptStart ? null : bestConfig);
    await record();
  } else {
    stage(6, 'skipped: no tuning trial finished, so there is no tuned configuration to compare');
  }

  const { runTransferStage } = await import('./transfer_stage.ts');
  stage(7, `transfer learning (${o.profile} profile)`);
  stages.transfer = await runTransferStage({ ...PROFILES[o.profile].transfer, outDir: o.outDir, data, say: o.say, recorder: o.recorder, signal: o.signal });
  await record();

  const strongest = PROFILES[o.profile].strongest;
  const strongCfg = parseTrainConfig({ ...recipeSettings(strongest.recipe), ...strongest.settings }, `${o.profile} profile, recipe ${strongest.recipe}`);
  const strongDir = join(o.outDir, 'strongest');
  stage(8, `the strongest model: recipe ${strongest.recipe}, ${strongCfg.model}, ${count(strongCfg.epochs, 'epoch')} (${o.profile} profile)`);
  const tested = await trainAndTest(strongCfg, strongDir, { data, progress: true, signal: o.signal, recorder: o.recorder });
  if (tested.reused) o.say(`already trained and tested: ${strongDir}`);
  o.say(`${strongCfg.model}: test accuracy ${pct(tested.testAcc)}`);
  stages.strongest = { recipe: strongest.recipe, model: strongCfg.model, images: strongCfg.limit, epochs: tested.epochs, seconds: tested.seconds, testAcc: tested.testAcc, run: strongDir };
  await record();
  o.say(`report: ${reportPath}`);
  return { profile: o.profile, outDir: o.outDir, stages, report: reportPath, htmlReport: htmlPath };
}
