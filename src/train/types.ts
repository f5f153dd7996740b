/**
 * The training engine's public contract, shared by `train`, tuning and cross-validation.
 */
import type { TrainConfig } from '../config.ts';
import type { FashionMnist } from '../data/dataset.ts';

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
  config: TrainConfig;
  /** Run folder: checkpoint/, metrics.jsonl, model.json + weights, run.json, plots. */
  outDir: string;
  /** Continue from outDir's last completed epoch. */
  resume?: boolean;
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
}
