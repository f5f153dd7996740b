/**
 * The names of a run folder's files and where runs go: a module with no tfjs, so the CLI can name
 * them (help texts, checks) without loading the training code.
 */
import { join } from 'node:path';

export const RUN_FILES = {
  run: 'run.json',
  checkpoint: 'checkpoint.json',
  metrics: 'metrics.jsonl',
  model: 'model.json',
  weights: 'weights.bin',
  curvesPng: 'learning_curves.png',
  curvesSvg: 'learning_curves.svg',
  lock: 'writer.lock',
} as const;

/** The path of one of a run folder's files. */
export const runFile = (dir: string, file: keyof typeof RUN_FILES): string => join(dir, RUN_FILES[file]);

/** Where `fmnist train` puts runs without --out. */
export const TRAIN_ROOT = 'runs/train';
