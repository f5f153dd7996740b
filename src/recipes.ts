/**
 * Named recipes: presets of the one training config (src/config.ts), applied as
 * defaults ← recipe ← --config file ← flags. Each is chosen by measurement: docs/ARCHITECTURE.md, "ResNet-9 recipes".
 */
import type { TrainConfigInput } from './config.ts';
import { UserError } from './util/errors.ts';

export interface Recipe {
  description: string;
  settings: Omit<TrainConfigInput, 'recipe'>;
}

/**
 * ResNet-9 settings both residual tiers share (Page's recipe, scaled to one CPU): only their length differs. The
 * decoupled weight decay, w·(1 − lr·λ), at 5e-3 is as strong as PyTorch's coupled 5e-4 under momentum 0.9; every
 * image trains and the last epoch is kept (docs/ARCHITECTURE.md, "ResNet-9 recipes").
 */
const RESNET: Omit<TrainConfigInput, 'recipe'> = {
  model: 'resnet9_s', batchSize: 128, optimizer: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 5e-3, schedule: 'cosine',
  warmupEpochs: 1, labelSmoothing: 0.1, augmentShift: 2, augmentFlip: true, erasing: 0, ema: 0.999, normalize: 'standard',
  valSplit: 0,
};

export const RECIPES: Record<string, Recipe> = {
  lenet5: { description: 'LeNet-5, AdamW, 30 epochs (the defaults): ~91.8% test', settings: {} },
  // Epochs from measured speed: ResNet-9-s trains a 60,000-image epoch in ~104 s on 2 threads alone (AMD EPYC), so
  // `fast` takes ~23 of its 30 minutes and `best` ~52 of its 90 (126 s/epoch before relu's one-pass gradient). `best` keeps the small network: at equal time
  // ResNet-9 (1.6M, 16 epochs) scored 94.19% against ResNet-9-s's 94.58% (26 epochs, both with decay 5e-4).
  fast: { description: 'ResNet-9-s (0.9M), SGD+Nesterov, cosine, EMA, 13 epochs on all 60,000: 94.06% test (seed 1), ~23 min on 2 cores', settings: { ...RESNET, epochs: 13 } },
  best: { description: 'ResNet-9-s (0.9M), SGD+Nesterov, cosine, EMA, 30 epochs on all 60,000: 95.02 ± 0.16% test (3 seeds), 52 min on 2 cores', settings: { ...RESNET, epochs: 30 } },
};

/** The settings of recipe `name` (with its name, which run.json keeps), or a UserError naming the known ones. */
export function recipeSettings(name: string): Record<string, unknown> {
  const r = RECIPES[name];
  if (!r) throw new UserError(`unknown recipe '${name}': choose one of ${Object.keys(RECIPES).join(', ')}`);
  return { ...r.settings, recipe: name };
}
