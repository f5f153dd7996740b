/**
 * The names of a run folder's files and where runs go: a module with no tfjs, so the CLI can name
 * them (help texts, checks) without loading the training code.
 */
import { join } from 'node:path';
import { MODEL_FILE, WEIGHTS_FILE } from '../store/model_files.ts';
import { LOCK_FILE } from '../util/folder_lock.ts';

export const RUN_FILES = {
  run: 'run.json',
  checkpoint: 'checkpoint.json',
  metrics: 'metrics.jsonl',
  model: MODEL_FILE,
  weights: WEIGHTS_FILE,
  curvesPng: 'learning_curves.png',
  curvesSvg: 'learning_curves.svg',
  lock: LOCK_FILE,
} as const;

/** The path of one of a run folder's files. */
export const runFile = (dir: string, file: keyof typeof RUN_FILES): string => join(dir, RUN_FILES[file]);

/** Where `fmnist train` puts runs without --out. */
export const TRAIN_ROOT = 'runs/train';
