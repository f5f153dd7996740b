/**
 * The study's profiles (`fmnist study --profile NAME`): one table saying, per profile, how each
 * stage trains. Sizes are chosen by measured time on 2 cores with the native backend (a LeNet-5
 * epoch over 54,000 images ≈ 10 s in one thread), with the whole run's time in `what`.
 */
import type { TrainConfigInput } from '../config.ts';
import { BUNDLED_MOBILENET } from '../transfer/bundled.ts';
import type { StrategyName } from '../search/strategies/index.ts';

export const PROFILE_NAMES = ['quick', 'standard', 'full'] as const;
export type Profile = (typeof PROFILE_NAMES)[number];

export interface StudyProfile {
  /** One line for --help and the README. */
  what: string;
  /** Stage 3: LeNet-5's training settings over the defaults. */
  train: TrainConfigInput;
  /** Stage 5: the search. `epochs` undefined = the recipe's own (the final schedule). */
  tune: { strategy: StrategyName; trials: number; epochs?: number; limit: number | null; valSplit: number };
  /** Stage 6: folds of the tuning's pool (`tune.limit` images, or all), default vs tuned. */
  cv: { folds: number };
  /** Trials/folds at once, one worker process each (null = one per core, at most 4). */
  parallel: number | null;
  /** Stage 7: transfer-learning runs, and the ablation's settings (null: no ablation). */
  transfer: { runs: TransferRunSpec[]; ablation: TrainConfigInput | null };
  /** Stage 8: the strongest model, a named recipe (src/recipes.ts) with this profile's overrides. */
  strongest: { recipe: string; settings: TrainConfigInput };
}

/** One transfer-learning run of the study. */
export interface TransferRunSpec {
  /** Its folder under `<study>/transfer/`. */
  name: string;
  label: string;
  config: TrainConfigInput;
  /** A seed backbone: these settings instead when Keras' cache holds its ImageNet weights. */
  ifImagenet?: TrainConfigInput;
  /** The published study's figure for this backbone. */
  published?: number;
}

/** Keras' ImageNet MobileNet 0.25 (kept in the repository), features at 64x64 unless `o` says otherwise. */
const mobilenet = (o: TrainConfigInput): TrainConfigInput => ({ base: 'mobilenet', weights: BUNDLED_MOBILENET, inputSize: 64, ...o });

/**
 * The seed's backbones at 32x32 on a stratified 10,000-image subset: from scratch (ImageNet weights
 * cannot be downloaded here), or fine-tuned when Keras' cache has them. Each scratch setting is the one
 * measured in docs/transfer.md to pass 85% test accuracy within 30 minutes of training on 2 cores
 * (VGG16 18 min, ResNet152V2 27 min, EfficientNetB1 25 min); batch 64 because the small-map layers
 * cost per step, not per image.
 */
const SEED_BACKBONES: TransferRunSpec[] = [
  { name: 'vgg16', label: 'VGG16', published: 0.1, config: { base: 'vgg16', mode: 'scratch', inputSize: 32, limit: 10000, epochs: 8, lr: 1e-4, batchSize: 64 }, ifImagenet: { mode: 'finetune', weights: 'imagenet', headEpochs: 1, epochs: 4, lr: 1e-3 } },
  { name: 'resnet152v2', label: 'ResNet152V2', published: 0.7231, config: { base: 'resnet152v2', mode: 'scratch', inputSize: 32, limit: 10000, epochs: 6, lr: 2e-3, batchSize: 64 }, ifImagenet: { mode: 'finetune', weights: 'imagenet', headEpochs: 1, epochs: 3, lr: 1e-3 } },
  { name: 'efficientnetb1', label: 'EfficientNetB1', published: 0.1001, config: { base: 'efficientnetb1', mode: 'scratch', inputSize: 32, limit: 10000, epochs: 24, lr: 3e-3, batchSize: 64 }, ifImagenet: { mode: 'finetune', weights: 'imagenet', headEpochs: 1, epochs: 4, lr: 1e-3 } },
];

export const PROFILES: Record<Profile, StudyProfile> = {
  quick: {
    what: 'smoke test, a few minutes: 3 epochs on 12,000 images, 6 TPE trials and 3-fold CV on 3,000, MobileNet features and 2 ResNet-9 epochs on 3,000',
    train: { epochs: 3, limit: 12000 },
    tune: { strategy: 'tpe', trials: 6, epochs: 3, limit: 3000, valSplit: 0.2 },
    cv: { folds: 3 },
    parallel: 1,
    transfer: { runs: [{ name: 'mobilenet-features', label: 'MobileNet 0.25 (ImageNet), frozen features', config: mobilenet({ mode: 'features', limit: 3000, epochs: 10 }) }], ablation: null },
    // Sized so both clear chance by a wide margin: at 32x32 MobileNet scored 25% once, and one ResNet-9 epoch on 2,000 trained to ~26%.
    strongest: { recipe: 'fast', settings: { epochs: 2, limit: 3000 } },
  },
  standard: {
    what: 'what npm start runs, about 25 minutes: the default recipe on all 60,000, 10 TPE trials and 5-fold CV of 10 epochs on 12,000, MobileNet features, 3 epochs of ResNet-9-s',
    train: {},
    tune: { strategy: 'tpe', trials: 10, epochs: 10, limit: 12000, valSplit: 0.2 },
    cv: { folds: 5 },
    parallel: null,
    transfer: { runs: [{ name: 'mobilenet-features', label: 'MobileNet 0.25 (ImageNet), frozen features', config: mobilenet({ mode: 'features', epochs: 20 }) }], ablation: null },
    // The fast recipe's schedule over 3 epochs of ~2 min each on 2 cores (docs/ARCHITECTURE.md, "ResNet-9 recipes").
    strongest: { recipe: 'fast', settings: { epochs: 3 } },
  },
  full: {
    what: "the published study's scale, about 6 hours: Hyperband over 30-epoch trials and 10-fold CV, all on 60,000, every transfer run and the ablation, --recipe best",
    train: {},
    tune: { strategy: 'hyperband', trials: 17, limit: null, valSplit: 0.1 },
    cv: { folds: 10 },
    parallel: null,
    transfer: {
      runs: [
        { name: 'mobilenet-features', label: 'MobileNet 0.25 (ImageNet), frozen features', config: mobilenet({ mode: 'features', epochs: 20 }) },
        // 93.14% in 47 min on one thread (docs/transfer.md).
        { name: 'mobilenet-finetune', label: 'MobileNet 0.25 (ImageNet), fine-tuned at 96x96', config: mobilenet({ mode: 'finetune', inputSize: 96, headEpochs: 1, epochs: 12, finetuneLr: 1e-3, valSplit: 0 }) },
        { name: 'nsfwjs-mobilenet_v2-features', label: 'MobileNetV2 (nsfwjs), frozen features', config: { base: 'nsfwjs:mobilenet_v2', mode: 'features', inputSize: 96, epochs: 20 } },
        ...SEED_BACKBONES,
      ],
      ablation: {},
    },
    strongest: { recipe: 'best', settings: {} },
  },
};

/** The "default" side of the CV comparison: the recipe, with the tuning's epoch budget when it sets one. */
export function cvDefaults(p: StudyProfile): TrainConfigInput {
  return p.tune.epochs === undefined ? {} : { epochs: p.tune.epochs };
}
