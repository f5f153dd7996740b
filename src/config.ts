/**
 * The one typed training configuration: defaults here, merged with a JSON file (--config) and
 * then flags; unknown keys are rejected; the result is saved with every run.
 *
 * The defaults are the project's LeNet-5 recipe (see docs/ARCHITECTURE.md, "Training recipe").
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { UserError } from './util/errors.ts';

/**
 * The names of the model registry (src/models/index.ts, `MODELS`), here so that a wrong `--model`
 * is refused while the config is parsed, before any folder is made: the registry sits in a higher
 * layer than the config. src/config.test.ts checks that this list and the registry are the same.
 */
export const MODEL_NAMES: readonly string[] = [
  'lenet5', 'vgg16', 'resnet50v2', 'resnet101v2', 'resnet152v2',
  'efficientnetb0', 'efficientnetb1', 'efficientnetb2', 'efficientnetb3', 'efficientnetb4', 'efficientnetb5', 'efficientnetb6', 'efficientnetb7',
  'mobilenet', 'mobilenet_0.25', 'mobilenet_0.50', 'mobilenet_0.75', 'mobilenet_1.00',
  'mobilenetv2',
  'resnet9', 'resnet9_s', 'resnet9_xs',
];

export const TrainConfigSchema = z.strictObject({
  /** Architecture name from src/models/index.ts. */
  model: z.string()
    .superRefine((name, ctx) => {
      if (!MODEL_NAMES.includes(name)) ctx.addIssue({ code: 'custom', message: `unknown model '${name}': choose one of ${MODEL_NAMES.join(', ')}` });
    })
    .default('lenet5'),
  epochs: z.number().int().min(1).max(10000).default(30),
  batchSize: z.number().int().min(1).max(65536).default(64),
  optimizer: z.enum(['adam', 'sgd', 'rmsprop']).default('adam'),
  /** Peak learning rate. */
  lr: z.number().positive().max(10).default(2e-3),
  /** SGD/RMSprop momentum. */
  momentum: z.number().min(0).max(0.999).default(0.9),
  /** Decoupled weight decay (Loshchilov & Hutter; AdamW when the optimizer is adam): each step w -= lr * weightDecay * w, on kernels only. */
  weightDecay: z.number().min(0).max(1).default(0.01),
  /** Learning-rate schedule over the whole run. */
  schedule: z.enum(['constant', 'cosine', 'step']).default('cosine'),
  /** Linear warm-up from lr/10, in epochs (fractional allowed). */
  warmupEpochs: z.number().min(0).default(1),
  /** Dropout before each hidden dense layer (0 = none). */
  dropout: z.number().min(0).max(0.9).default(0),
  labelSmoothing: z.number().min(0).max(0.5).default(0),
  /** Random translation, in pixels (0 = off). */
  augmentShift: z.number().int().min(0).max(8).default(1),
  /** Random horizontal flips (clothing is left/right symmetric enough). */
  augmentFlip: z.boolean().default(true),
  /** Random erasing (Zhong et al. 2017, as cutout: the rectangle becomes background): probability per image (0 = off). */
  erasing: z.number().min(0).max(1).default(0),
  /** Exponential moving average of the weights (decay per step; 0 = off): validation and the saved model use the average. */
  ema: z.number().min(0).max(0.99999).default(0),
  /** Input scaling: unit = x/255, standard = (x/255 - mean)/std with the training-set mean/std. */
  normalize: z.enum(['unit', 'standard']).default('unit'),
  /** Fraction of the training set held out (stratified) for validation; 0 = none. */
  valSplit: z.number().min(0).max(0.5).default(0.1),
  /** Stop when validation loss has not improved for this many epochs (0 = never). */
  patience: z.number().int().min(0).default(0),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(42),
  /** Train on a stratified subset of this many training images (quick runs, tests). */
  limit: z.number().int().min(10).nullable().default(null),

  // ---- transfer learning (src/models/bases.ts, src/models/classifier.ts): all unused when base is null
  /** A pretrained base (a Keras application name, nsfwjs:NAME, or a model file) under a new head; null: `model` alone. */
  base: z.string().min(1).nullable().default(null),
  /** The base's weights: 'imagenet', a Keras HDF5 weights file, or null (random; what `scratch` means). */
  weights: z.string().min(1).nullable().default(null),
  /**
   * features: the frozen base's features computed once (cached on disk), a head trained on them;
   * finetune: that head first (headEpochs), then the top of the base too at finetuneLr;
   * scratch: the whole network from random weights.
   */
  mode: z.enum(['features', 'finetune', 'scratch']).default('features'),
  /** Square input size of the base in pixels (images are resized bilinearly inside the model); null: 32. */
  inputSize: z.number().int().min(32).max(1024).nullable().default(null),
  /** Cut the base at this layer (default: below its classifier). */
  cut: z.string().min(1).nullable().default(null),
  /** finetune: the base's layers from the first one whose name starts with this on are trained (null: the whole base). */
  unfreeze: z.string().min(1).nullable().default(null),
  /** finetune: epochs of the head alone before the base is unfrozen (part of `epochs`). */
  headEpochs: z.number().int().min(0).default(2),
  /** finetune: peak learning rate once the base is unfrozen (a pretrained base wants a small one). */
  finetuneLr: z.number().positive().max(10).default(1e-4),
  /** Input preprocessing of the base: auto (as its weights were trained) or a Keras preprocess_input mode (ablation: a wrong one). */
  preprocess: z.enum(['auto', 'caffe', 'tf', 'torch', 'none', 'unit', 'raw']).default('auto'),
  /** Run the base's BatchNormalization in training mode while its weights are frozen or fine-tuned (ablation: the published study's likely mistake). */
  baseTraining: z.boolean().default(false),

  /** The named recipe (src/recipes.ts) these settings started from, as a label; null = the defaults. */
  recipe: z.string().nullable().default(null),
});

/** The input size a transfer configuration's base runs at. */
export const baseInputSize = (cfg: Pick<TrainConfig, 'inputSize'>): number => cfg.inputSize ?? 32;

/** Cross-key rules of the transfer settings, as one-line errors. */
function checkTransfer(cfg: TrainConfig, origin: string): void {
  if (cfg.base === null) {
    const set = (['weights', 'inputSize', 'cut', 'unfreeze'] as const).filter((k) => cfg[k] !== null);
    if (set.length) throw new UserError(`${origin}: ${set.map((k) => `'${k}'`).join(', ')} need${set.length === 1 ? 's' : ''} a pretrained 'base' (fmnist transfer --base NAME)`);
    return;
  }
  if (cfg.model !== 'lenet5') throw new UserError(`${origin}: 'model' ${cfg.model} and 'base' ${cfg.base} are both set; a transfer run's architecture is its base (drop 'model')`);
  if (cfg.ema > 0) throw new UserError(`${origin}: 'ema' is not supported for transfer runs (their trained layers change between phases)`);
  if (cfg.normalize !== 'unit') throw new UserError(`${origin}: a transfer model scales its inputs itself ('preprocess'); 'normalize' must stay unit`);
  if (cfg.mode === 'scratch' && cfg.weights !== null) throw new UserError(`${origin}: mode scratch trains from random weights; drop 'weights' ${cfg.weights} (or use mode finetune)`);
  if (cfg.mode === 'finetune' && cfg.headEpochs >= cfg.epochs) throw new UserError(`${origin}: finetune needs more epochs (${cfg.epochs}) than head epochs (${cfg.headEpochs}) to unfreeze the base`);
}

export type TrainConfig = z.infer<typeof TrainConfigSchema>;
export type TrainConfigInput = z.input<typeof TrainConfigSchema>;

/** Where settings came from, for error messages: one name, or per key (a merged config: its file's name or 'flags'). */
export type ConfigOrigin = string | { of(key: string): string; all: string };

/** Validate a partial config, with one-line errors that name the key and where it came from. */
export function parseTrainConfig(input: unknown, origin: ConfigOrigin = 'config'): TrainConfig {
  const of = (key: string) => (typeof origin === 'string' ? origin : origin.of(key));
  const r = TrainConfigSchema.safeParse(input ?? {});
  if (r.success) {
    checkTransfer(r.data, typeof origin === 'string' ? origin : origin.all);
    return r.data;
  }
  const issue = r.error.issues[0];
  const where = issue.path.length ? `'${issue.path.join('.')}'` : '';
  if (issue.code === 'unrecognized_keys') {
    const known = Object.keys(TrainConfigSchema.shape).join(', ');
    throw new UserError(`${of(issue.keys[0])}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')} (known: ${known})`);
  }
  throw new UserError(`${of(String(issue.path[0] ?? ''))}: ${where} ${issue.message}`.replace(/\s+/g, ' ').trim());
}

/** Read a JSON config file (an object of TrainConfig keys); errors name the file. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UserError(`${path}: cannot read config file`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UserError(`${path}: expected a JSON object of settings`);
  // Accept a saved run.json / best-config file too: its settings live under "config".
  const obj = value as Record<string, unknown>;
  return (typeof obj.config === 'object' && obj.config !== null && !Array.isArray(obj.config) ? obj.config : obj) as Record<string, unknown>;
}

/** One source of settings, named in error messages: a recipe, a config file, the command line's flags. */
export interface ConfigLayer {
  origin: string;
  settings?: Record<string, unknown>;
}

/** Each key the layers set (a value given as undefined sets nothing), the later layer winning, with the layer it came from. */
function layered(layers: ConfigLayer[]): Map<string, { value: unknown; origin: string }> {
  const out = new Map<string, { value: unknown; origin: string }>();
  for (const { origin, settings } of layers) {
    for (const [key, value] of Object.entries(settings ?? {})) if (value !== undefined) out.set(key, { value, origin });
  }
  return out;
}

/** The settings the layers set: what a resumed run is checked against. */
export function settingsGiven(...layers: ConfigLayer[]): (keyof TrainConfig)[] {
  return [...layered(layers).keys()] as (keyof TrainConfig)[];
}

/** defaults ← each layer in turn. A bad value is blamed on the layer that set it; a clash between keys, on all of them. */
export function mergeConfig(...layers: ConfigLayer[]): TrainConfig {
  const set = layered(layers);
  const origins = [...new Set([...set.values()].map((s) => s.origin))];
  const all = origins.join(' with ') || 'defaults';
  return parseTrainConfig(Object.fromEntries([...set].map(([k, s]) => [k, s.value])), { of: (key) => set.get(key)?.origin ?? all, all });
}
