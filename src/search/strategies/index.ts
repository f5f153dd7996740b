/**
 * Strategy registry and the pruners: `random` and `tpe` stop hopeless trials with the median
 * rule, `hyperband` with successive halving.
 */
import { UserError } from '../../util/errors.ts';
import type { PeerCurve, Pruner, PrunerSpec, Strategy, StrategyOptions } from '../types.ts';
import { HyperbandPruner, type HyperbandSettings } from './hyperband.ts';
import { RandomSampler } from './random.ts';
import { TpeSampler } from './tpe.ts';

export const STRATEGIES = ['random', 'tpe', 'hyperband'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/**
 * Optuna's MedianPruner: after `startupTrials` trials have completed, stop a trial at an epoch
 * (past `warmupEpochs`) when its best value so far is below the median of the completed
 * trials' values at that same epoch.
 */
export class MedianPruner implements Pruner {
  constructor(private readonly o: { startupTrials: number; warmupEpochs: number }) {}

  shouldPrune(trial: { number: number; values: readonly number[] }, peers: readonly PeerCurve[]): boolean {
    const epoch = trial.values.length;
    if (epoch <= this.o.warmupEpochs) return false;
    const completed = peers.filter((p) => p.state === 'done' && p.number !== trial.number);
    if (completed.length < this.o.startupTrials) return false;
    const atEpoch = completed.filter((p) => p.values.length >= epoch).map((p) => p.values[epoch - 1]).filter(Number.isFinite);
    if (!atEpoch.length) return false;
    const best = Math.max(...trial.values.filter(Number.isFinite));
    if (!Number.isFinite(best)) return true;
    return best < median(atEpoch);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function makePruner(spec: PrunerSpec): Pruner | null {
  if (spec.kind === 'none') return null;
  if (spec.kind === 'median') return new MedianPruner(spec);
  return new HyperbandPruner(spec);
}

/** Start-up lengths that scale with the planned study: a quarter of it, within Optuna's defaults (TPE 10, median 5). */
export function startupFor(trials: number, cap: number): number {
  return Math.max(2, Math.min(cap, Math.round(trials / 4)));
}

export function makeStrategy(name: string, o: StrategyOptions): Strategy {
  if (!(STRATEGIES as readonly string[]).includes(name)) throw new UserError(`unknown strategy '${name}': use one of ${STRATEGIES.join(', ')}`);
  // The first epoch carries the learning-rate warm-up (see train/schedule.ts) and says little
  // about the end; skip it unless it is all there is to judge by before the last epoch.
  const warmupEpochs = o.epochs >= 3 ? 1 : 0;
  const median: PrunerSpec = o.pruner === 'median' ? { kind: 'median', startupTrials: startupFor(o.trials, 5), warmupEpochs } : { kind: 'none' };
  switch (name as StrategyName) {
    case 'random':
      return { name: 'random', sampler: new RandomSampler(o.space, o.seed), prunerSpec: median };
    case 'tpe':
      return { name: 'tpe', sampler: new TpeSampler(o.space, o.seed, { startupTrials: startupFor(o.trials, 10) }), prunerSpec: median };
    case 'hyperband': {
      if (o.space.params.some((p) => p.key === 'epochs')) throw new UserError(`hyperband: 'epochs' is its budget, not a searched setting; give it one value (the most epochs a trial may get)`);
      // At most four brackets (rungs at r, rη, rη², rη³ < R): a longer budget starts its rungs later
      // rather than judging 30-epoch schedules after their first (warm-up) epoch.
      const h: HyperbandSettings = { minEpochs: Math.max(1, Math.ceil(o.epochs / 27)), maxEpochs: o.epochs, eta: 3 };
      if (o.epochs < h.eta) throw new UserError(`hyperband: an epoch budget of ${o.epochs} leaves nothing to halve; use --epochs ${h.eta ** 2} or more (or another --strategy)`);
      return { name: 'hyperband', sampler: new RandomSampler(o.space, o.seed), prunerSpec: { kind: 'hyperband', ...h } };
    }
  }
}
