/**
 * The training engine's public contract, shared by `train`, tuning and cross-validation.
 */
import type { TrainConfig } from '../config.ts';
import type { FashionMnist } from '../data/dataset.ts';
import type { FolderLock } from '../util/folder_lock.ts';

export interface EpochMetrics {
  epoch: number; // 1-based
  loss: number;
  acc: number;
  valLoss?: number;
  valAcc?: number;
  /** Learning rate at the end of the epoch. */
  lr: number;
  /** Wall time of the epoch, seconds. */
  seconds: number;
  /** Training images per second. */
  imagesPerSecond: number;
}

export type RunStatus = 'running' | 'done' | 'failed' | 'interrupted' | 'pruned';

/**
 * Receives a run's life, e.g. to mirror it into the SQLite run store. All methods are
 * synchronous and must not throw for ordinary use.
 */
export interface RunRecorder {
  start(info: { outDir: string; config: TrainConfig; meta: Record<string, unknown> }): void;
  epoch(m: EpochMetrics): void;
  finish(status: RunStatus, result: { metrics?: Record<string, number>; error?: string; artifacts?: Record<string, string> }): void;
}

export interface TrainOptions {
  /** The run's settings. Resuming, they must be the ones the run was made with (see `given`). */
  config: TrainConfig;
  /** Run folder (see run_folder.ts): checkpoint, metrics.jsonl, model.json + weights, run.json, plots. */
  outDir: string;
  /** Continue from outDir's last completed epoch (a folder without a checkpoint starts afresh). */
  resume?: boolean;
  /**
   * Resuming: the settings of `config` the caller actually chose (e.g. on a command line). Only
   * these must match the run's; the others are taken from it. Default: every setting must match.
   */
  given?: readonly (keyof TrainConfig)[];
  /**
   * Called once the run's config is known, before training: `resumedAfter` is the checkpoint's epoch
   * when resuming; `finished` when the folder holds a finished run, which is returned as it is.
   */
  onStart?: (run: { outDir: string; config: TrainConfig; resumedAfter?: number; finished?: boolean }) => void;
  /** The folder's writer lock when the caller already holds it (lockFolder); else train() takes and releases it. */
  lock?: FolderLock;
  /** Aborting it stops the run at the next batch boundary (TrainingInterrupted); its last checkpoint stays. */
  signal?: AbortSignal;
  /** Preloaded data (tuning and CV load it once). */
  data?: FashionMnist;
  /** Explicit train/validation indices into the training split (CV folds); overrides valSplit/limit. */
  split?: { train: Int32Array; val: Int32Array };
  /** Called after each epoch; return 'stop' to end the run early (pruning). */
  onEpoch?: (m: EpochMetrics) => void | 'stop';
  recorder?: RunRecorder;
  /**
   * Keep the epoch with the lowest validation loss (default) — or, when false, the last epoch,
   * with no early stopping: for cross-validation, where the validation part is the fold's test data
   * and must not select the model.
   */
  keepBest?: boolean;
  /** Show a progress bar / lines on stderr. */
  progress?: boolean;
}

export interface TrainResult {
  outDir: string;
  status: 'done' | 'pruned' | 'stopped-early';
  epochs: EpochMetrics[];
  /** The epoch whose weights were kept (best validation loss, or the last without validation). */
  bestEpoch: number;
  /** Metrics of the kept model. */
  final: { valLoss?: number; valAcc?: number; trainLoss: number; trainAcc: number };
  seconds: number;
  /** Resuming a finished run: nothing was trained or written, this is the run as it was. */
  alreadyFinished?: boolean;
}
