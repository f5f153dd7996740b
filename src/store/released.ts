/**
 * The project's own trained models, shipped in the repository and the package (`pretrained/`), like
 * torchvision's `weights=`: `fmnist predict --model best shirt.jpg` and `fmnist evaluate --model best`
 * work before any training. Each folder is an ordinary run folder (model.json, weights.bin, run.json
 * with the command that reproduces it).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UserError } from '../util/errors.ts';

export interface ReleasedModel {
  /** Folder under pretrained/. */
  folder: string;
  description: string;
  /** The command that made it. */
  command: string;
  /** Test accuracy (official 10,000 images) measured by `fmnist evaluate --model NAME`, 0–1. */
  testAccuracy: number;
}

export const RELEASED: Record<string, ReleasedModel> = {
  best: {
    folder: 'resnet9_s-best',
    description: 'ResNet-9-s, the best recipe (30 epochs), seed 1',
    command: 'fmnist --precision bf16 train --recipe best --seed 1',
    testAccuracy: 0.9514,
  },
  lenet5: {
    folder: 'lenet5-default',
    description: 'LeNet-5, the default recipe (30 epochs, kept epoch 26)',
    command: 'fmnist train (precision auto: bf16 on Intel Xeon AMX)',
    testAccuracy: 0.9165,
  },
};

/** pretrained/ at the package root, from src/store/ or dist/store/ alike. */
const ROOT = fileURLToPath(new URL('../../pretrained/', import.meta.url));

/** The folder of released model `name`; a clear error naming the choices otherwise. */
export function releasedModelDir(name: string): string {
  const entry = RELEASED[name];
  if (!entry) throw new UserError(`--model ${name}: not a released model; choose one of ${Object.keys(RELEASED).join(', ')}`);
  const dir = ROOT + entry.folder;
  if (!existsSync(dir)) throw new UserError(`--model ${name}: ${dir} is missing from this installation`);
  return dir;
}
