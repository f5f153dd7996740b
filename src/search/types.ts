/**
 * The tuner's vocabulary: trials, samplers (which configuration next), pruners (stop a trial
 * early) and strategies (a sampler plus a pruner). The objective is always maximised
 * (validation accuracy).
 */
import type { Params, SearchSpace } from './space.ts';

export type TrialState = 'running' | 'done' | 'pruned' | 'failed';

/** What samplers see of a finished (or running) trial. */
export interface TrialView {
  number: number;
  params: Params;
  state: TrialState;
  /** Objective of a finished trial ('done' only). */
  objective?: number;
  /** Intermediate objective per epoch (index = epoch - 1). */
  values: number[];
}

/** What pruners see of other trials of the same study. */
export interface PeerCurve {
  number: number;
  state: TrialState;
  values: number[];
}

export interface Sampler {
  /** Parameters for trial `number`, given every trial started so far (any state). */
  suggest(number: number, trials: readonly TrialView[]): Params;
}

export interface Pruner {
  /**
   * Whether trial `number`, whose intermediate values so far are `values` (the last one is at
   * epoch values.length), should stop now. `peers` are the study's other trials. Pure: the
   * same inputs give the same answer on any machine.
   */
  shouldPrune(trial: { number: number; values: readonly number[] }, peers: readonly PeerCurve[]): boolean;
}

/** Serialisable pruner settings: sent with each job so a worker process builds the same pruner. */
export type PrunerSpec =
  | { kind: 'none' }
  | { kind: 'median'; startupTrials: number; warmupEpochs: number }
  | { kind: 'hyperband'; minEpochs: number; maxEpochs: number; eta: number };

export interface StrategyOptions {
  space: SearchSpace;
  /** Study seed: trial n's random draws come from (seed, n) alone. */
  seed: number;
  /** Planned number of trials (sets start-up lengths). */
  trials: number;
  /** The trials' epoch budget (hyperband's maximum resource). */
  epochs: number;
  pruner: 'median' | 'none';
}

export interface Strategy {
  name: 'random' | 'tpe' | 'hyperband';
  sampler: Sampler;
  prunerSpec: PrunerSpec;
}

/** A per-trial seed mixed from the study seed and the trial number (splitmix-style), so draws never depend on order. */
export function trialSeed(seed: number, number: number): number {
  let z = (seed + Math.imul(number + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
