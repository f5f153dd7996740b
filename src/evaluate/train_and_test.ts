/**
 * One run as the study (stages 7 and 8) and the ablation need it: trained in its folder (an interrupted
 * run resumes) and scored once on the test set; a run already trained with this config and tested
 * is only re-read, so rerunning a study or an ablation repeats nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainConfig } from '../config.ts';
import type { FashionMnist } from '../data/dataset.ts';
import { evaluateModel } from './evaluate.ts';
import { RUN_FILES, finishedRun } from '../train/run_folder.ts';
import { train } from '../train/train.ts';
import type { RunRecorder } from '../train/types.ts';

export interface TrainAndTestOptions {
  data: FashionMnist;
  progress?: boolean;
  signal?: AbortSignal;
  recorder?: () => Promise<RunRecorder | undefined>;
  /** false: keep the last epoch, not the best by validation loss. */
  keepBest?: boolean;
  /** Called before training starts (not for a reused run). */
  onTrain?: () => void;
}

export interface TestedRun {
  testAcc: number;
  seconds: number;
  epochs: number;
  /** Whether an earlier run was re-read instead of trained. */
  reused: boolean;
}

export async function trainAndTest(cfg: TrainConfig, dir: string, o: TrainAndTestOptions): Promise<TestedRun> {
  const metricsFile = join(dir, 'eval-test', 'metrics.json');
  const readAcc = () => (JSON.parse(readFileSync(metricsFile, 'utf8')) as { accuracy: number }).accuracy;
  const done = finishedRun(dir, cfg);
  if (done && existsSync(metricsFile)) return { testAcc: readAcc(), seconds: done.seconds, epochs: done.epochs, reused: true };
  o.onTrain?.();
  const r = await train({
    config: cfg, outDir: dir, data: o.data, resume: existsSync(join(dir, RUN_FILES.checkpoint)), keepBest: o.keepBest,
    progress: o.progress, signal: o.signal, recorder: await o.recorder?.(),
  });
  const { accuracy } = await evaluateModel(dir, 'test', o.data);
  return { testAcc: accuracy, seconds: r.seconds, epochs: r.epochs.length, reused: false };
}
