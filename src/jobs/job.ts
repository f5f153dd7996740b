/**
 * A job is one training run of a study — a tuning trial, a CV fold, or the final refit — described
 * by plain data, so that any scheduler (this process, a child process, later another machine)
 * can run it. `JobRunner` runs jobs in the current process and is what every scheduler ends up
 * calling.
 *
 * Jobs are idempotent: a job whose folder already holds a finished run returns that run's result
 * without training, and one with a checkpoint continues from it. That is what makes a killed
 * study resumable whatever instant the kill landed.
 */
import { existsSync } from 'node:fs';
import type { TrainConfig } from '../config.ts';
import type { FashionMnist } from '../data/dataset.ts';
import { stratifiedKFold, stratifiedSubset } from '../data/split.ts';
import { RunStore } from '../store/run_store.ts';
import { readCheckpoint } from '../train/checkpoint.ts';
import { train } from '../train/train.ts';
import { isFinished, readMetrics, readRunJson, runFile, runMetaOf, type RunJson } from '../train/run_folder.ts';
import { FolderLocked } from '../util/folder_lock.ts';
import type { EpochMetrics, RunStatus, TrainResult } from '../train/types.ts';
import { UserError } from '../util/errors.ts';
import { Interrupted } from '../util/interrupt.ts';
import { makePruner } from '../search/strategies/index.ts';
import type { PeerCurve, PrunerSpec } from '../search/types.ts';

/** Which training images train and which validate: the config's own split, or fold `fold` of a seeded stratified k-fold. */
export type SplitSpec = { kind: 'kfold'; k: number; fold: number; seed: number; limit: number | null };

export interface Job {
  kind: 'trial' | 'fold' | 'train';
  /** The study / CV id: the run store's group. */
  group: string;
  /** Unique within the group, e.g. 'trial-007' or 'tuned-fold-03'. */
  name: string;
  /** Absolute run folder. */
  outDir: string;
  config: TrainConfig;
  /** Default: the config's own split (limit + valSplit). */
  split?: SplitSpec;
  /** Run store file; null = do not record. */
  db: string | null;
  /** Pruning: the trial's number, the pruner, and the study's other trials when the job was sent. */
  prune?: { number: number; spec: PrunerSpec; peers: PeerCurve[] };
}

export interface JobResult {
  status: 'done' | 'pruned' | 'stopped-early' | 'failed';
  epochs: EpochMetrics[];
  final?: TrainResult['final'];
  seconds: number;
  error?: string;
  /** True when the folder already held the finished run (nothing was trained). */
  reused?: boolean;
}

/** The time a run's epochs took (s): a run recorded after the fact without run.json timings. */
const trainingSeconds = (epochs: EpochMetrics[]): number => epochs.reduce((s, m) => s + m.seconds, 0);

/** The validation accuracy of each epoch, the value pruners compare. */
export const objectiveOf = (m: EpochMetrics): number => m.valAcc ?? NaN;

/** Indices for a split spec (the same on every machine: seeded, from the labels alone). */
export function resolveSplit(spec: SplitSpec, labels: Uint8Array): { train: Int32Array; val: Int32Array } {
  const pool = spec.limit ? stratifiedSubset(labels, spec.limit, spec.seed) : Int32Array.from({ length: labels.length }, (_, i) => i);
  const poolLabels = Uint8Array.from(pool, (i) => labels[i]);
  const fold = stratifiedKFold(poolLabels, spec.k, spec.seed)[spec.fold];
  return { train: fold.train.map((i) => pool[i]), val: fold.val.map((i) => pool[i]) };
}

/** How a job is run: its epochs as they finish, and a signal that stops it at the next batch. */
export interface RunJobOptions {
  onEpoch?: (m: EpochMetrics) => void;
  /** Aborting it interrupts the job (its checkpoint stays, so running it again continues it). */
  signal?: AbortSignal;
}

export class JobRunner {
  private readonly stores = new Map<string, RunStore>();
  private readonly boards = new Set<Map<number, PeerCurve>>();

  constructor(private readonly data: FashionMnist, private readonly opts: { progress?: boolean } = {}) {}

  /** News of another trial (pruning input) for every job running here. */
  publish(curve: PeerCurve): void {
    for (const board of this.boards) board.set(curve.number, curve);
  }

  close(): void {
    for (const s of this.stores.values()) s.close();
    this.stores.clear();
  }

  private store(db: string | null): RunStore | undefined {
    if (!db) return undefined;
    let s = this.stores.get(db);
    if (!s) { s = RunStore.open(db); this.stores.set(db, s); }
    return s;
  }

  async run(job: Job, { onEpoch, signal }: RunJobOptions = {}): Promise<JobResult> {
    const started = Date.now();
    const store = this.store(job.db);

    // 1. Finished before (the study died before it could note it): reuse.
    const previous = readRunJson(job.outDir);
    if (previous && isFinished(job.outDir)) {
      const epochs = readMetrics(job.outDir);
      const status = previous.result ?? 'done';
      this.settleStoreRow(store, job, previous, epochs, status === 'pruned' ? 'pruned' : 'done', previous.final);
      return { status, epochs, final: previous.final, seconds: previous.timings?.totalSeconds ?? 0, reused: true };
    }

    // 2. Pruning state: this trial's own values so far (from its checkpoint) and its peers.
    const pruner = job.prune ? makePruner(job.prune.spec) : null;
    const board = new Map<number, PeerCurve>((job.prune?.peers ?? []).map((p) => [p.number, p]));
    const checkpoint = readCheckpoint(job.outDir);
    const values = (checkpoint?.history ?? []).map(objectiveOf);
    const peers = () => [...board.values()].filter((p) => p.number !== job.prune?.number);
    // A kill may have landed after an epoch's checkpoint but before its pruning decision.
    if (pruner && job.prune && values.length > 0 && values.length < job.config.epochs && pruner.shouldPrune({ number: job.prune.number, values }, peers())) {
      const epochs = checkpoint!.history;
      this.settleStoreRow(store, job, previous ?? {}, epochs, 'pruned');
      return { status: 'pruned', epochs, seconds: 0, reused: true };
    }

    // 3. Train (continuing from the checkpoint, if any).
    this.boards.add(board);
    try {
      const result = await train({
        config: job.config,
        outDir: job.outDir,
        resume: true,
        data: this.data,
        split: job.split ? resolveSplit(job.split, this.data.train.labels) : undefined,
        progress: this.opts.progress,
        recorder: store?.recorder({ kind: job.kind, group: job.group, name: job.name }),
        signal,
        onEpoch: (m) => {
          values.push(objectiveOf(m));
          onEpoch?.(m);
          if (pruner && job.prune && m.epoch < job.config.epochs && pruner.shouldPrune({ number: job.prune.number, values }, peers())) return 'stop';
        },
      });
      return { status: result.status, epochs: result.epochs, final: result.final, seconds: (Date.now() - started) / 1000 };
    } catch (err) {
      // A trial the user's settings make fail (e.g. divergence at a high learning rate) is a
      // result, not a study failure; an interruption, another writer in the folder or a bug is not.
      if (err instanceof UserError && !(err instanceof Interrupted) && !(err instanceof FolderLocked)) {
        return { status: 'failed', epochs: readCheckpoint(job.outDir)?.history ?? [], error: err.message, seconds: (Date.now() - started) / 1000 };
      }
      throw err;
    } finally {
      this.boards.delete(board);
    }
  }

  /** Make the store agree with a folder we did not (re)train: same row (found by folder), final status. */
  private settleStoreRow(store: RunStore | undefined, job: Job, runJson: RunJson, epochs: EpochMetrics[], status: RunStatus, final?: TrainResult['final']): void {
    if (!store) return;
    const row = store.listRuns({ group: job.group }).find((r) => r.outDir === job.outDir);
    if (row && (row.status === 'done' || row.status === 'pruned')) return;
    const id = store.startRun({ kind: job.kind, group: job.group, name: job.name, outDir: job.outDir, config: job.config, meta: runMetaOf(runJson) });
    for (const m of epochs) store.appendEpoch(id, m);
    const metrics = final ? (Object.fromEntries(Object.entries(final).filter(([, v]) => v !== undefined)) as Record<string, number>) : undefined;
    // Its training time, not the instant of recording (which would say 0 s).
    const seconds = runJson.timings?.totalSeconds ?? trainingSeconds(epochs);
    const artifacts = existsSync(runFile(job.outDir, 'model'))
      ? { artifacts: { model: runFile(job.outDir, 'model'), run: runFile(job.outDir, 'run') } } : {};
    store.finishRun(id, status, { metrics, seconds, ...artifacts });
  }
}
