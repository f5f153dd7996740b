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

/** ResNet-9 settings both residual tiers share (Page's recipe, scaled to one CPU). */
const RESNET: Omit<TrainConfigInput, 'recipe'> = {
  batchSize: 128, optimizer: 'sgd', momentum: 0.9, weightDecay: 5e-4, schedule: 'cosine', warmupEpochs: 1,
  labelSmoothing: 0.1, augmentShift: 2, augmentFlip: true, erasing: 0, ema: 0.999, normalize: 'standard',
};

export const RECIPES: Record<string, Recipe> = {
  lenet5: { description: 'LeNet-5, AdamW, 30 epochs (the defaults): ~91.8% test', settings: {} },
  // Epochs from measured speed on 2 cores (ResNet-9-s: ~440 img/s with 2 threads, ~335 with 1): `fast` fills ~25 of
  // its 30 minutes, `best` ~68 of its 90, leaving room for slower CPUs. `best` keeps the small network: at equal
  // time ResNet-9 (1.6M, 16 epochs) scored 94.19% against ResNet-9-s's 94.58% (26 epochs). Its decoupled weight decay
  // is 10x the shared one, as strong as PyTorch's coupled 5e-4 under momentum 0.9: 95.17% at 30 epochs, against 94.58%
  // at 26 with 5e-4 (docs/ARCHITECTURE.md, "ResNet-9 recipes"); on the 12-epoch fast tier it changed nothing (93.86%).
  fast: { description: 'ResNet-9-s (0.9M), SGD+Nesterov, cosine, EMA, 12 epochs: 93.81% test in 25 min on 2 cores (goal 94%)', settings: { ...RESNET, model: 'resnet9_s', lr: 0.05, epochs: 12 } },
  best: { description: 'ResNet-9-s (0.9M), SGD+Nesterov, cosine, EMA, weight decay 5e-3, 30 epochs on all 60,000: 95.17% test, ~70 min on 2 cores', settings: { ...RESNET, model: 'resnet9_s', lr: 0.05, weightDecay: 5e-3, epochs: 30, valSplit: 0 } },
};

/** The settings of recipe `name` (with its name, which run.json keeps), or a UserError naming the known ones. */
export function recipeSettings(name: string): Record<string, unknown> {
  const r = RECIPES[name];
  if (!r) throw new UserError(`unknown recipe '${name}': choose one of ${Object.keys(RECIPES).join(', ')}`);
  return { ...r.settings, recipe: name };
}
