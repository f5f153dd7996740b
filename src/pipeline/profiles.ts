/**
 * The study's profiles (`fmnist study --profile NAME`): one table saying, per profile, how each
 * stage trains. Sizes are chosen by measured time on 2 cores with the native backend (a LeNet-5
 * epoch over 54,000 images ≈ 10 s in one thread), with the whole run's time in `what`.
 */
import type { TrainConfigInput } from '../config.ts';
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
}

export const PROFILES: Record<Profile, StudyProfile> = {
  quick: {
    what: 'smoke test, about a minute: 3 epochs on 12,000 images, 6 TPE trials and 3-fold CV on 3,000',
    train: { epochs: 3, limit: 12000 },
    tune: { strategy: 'tpe', trials: 6, epochs: 3, limit: 3000, valSplit: 0.2 },
    cv: { folds: 3 },
    parallel: 1,
  },
  standard: {
    what: 'what npm start runs, about 15 minutes: the default recipe on all 60,000, 10 TPE trials and 5-fold CV of 10 epochs on 12,000',
    train: {},
    tune: { strategy: 'tpe', trials: 10, epochs: 10, limit: 12000, valSplit: 0.2 },
    cv: { folds: 5 },
    parallel: null,
  },
  full: {
    what: "the published study's scale, about 1.5 hours: Hyperband over 30-epoch trials and 10-fold CV, all on 60,000",
    train: {},
    tune: { strategy: 'hyperband', trials: 17, limit: null, valSplit: 0.1 },
    cv: { folds: 10 },
    parallel: null,
  },
};

/** The "default" side of the CV comparison: the recipe, with the tuning's epoch budget when it sets one. */
export function cvDefaults(p: StudyProfile): TrainConfigInput {
  return p.tune.epochs === undefined ? {} : { epochs: p.tune.epochs };
}
