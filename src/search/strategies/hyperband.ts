/**
 * Hyperband (Li et al. 2018; KerasTuner's Hyperband is the anchor), run the way Optuna's
 * HyperbandPruner runs it: asynchronous successive halving (ASHA, Li et al. 2020) in several
 * brackets, with the epoch as the resource. Configurations are random (as in KerasTuner).
 *
 * Why asynchronous: a trial is one `train()` call whose learning-rate schedule spans the full
 * budget, so "promoting" a configuration means letting it continue rather than retraining it,
 * and trials never wait for a whole rung to finish — which also suits --parallel.
 *
 * With minimum budget r, maximum R and reduction factor η there are s_max+1 brackets,
 * s_max = ⌊log_η(R/r)⌋. Bracket b checks trials at epochs r·η^(b+k) < R (b = 0 is the most
 * aggressive) and keeps a trial going only if it is in the top max(1, ⌊n/η⌋) of the n trials of
 * its bracket that have reached that epoch. Trials are dealt to brackets in the proportions of
 * Hyperband's paper (more trials to the aggressive brackets), interleaved so a short study
 * still sees every bracket.
 */
import type { PeerCurve, Pruner } from '../types.ts';

export interface HyperbandSettings { minEpochs: number; maxEpochs: number; eta: number }

export function bracketCount(h: HyperbandSettings): number {
  // The epsilon keeps exact powers (e.g. 9/1 with η = 3) from rounding down.
  return Math.floor(Math.log(h.maxEpochs / h.minEpochs) / Math.log(h.eta) + 1e-9) + 1;
}

/** The epochs at which bracket `b` compares trials. */
export function rungEpochs(h: HyperbandSettings, b: number): number[] {
  const out: number[] = [];
  for (let e = h.minEpochs * h.eta ** b; e < h.maxEpochs; e *= h.eta) out.push(Math.round(e));
  return out;
}

/** Trials each bracket gets per Hyperband round: n_s = ⌈(s_max+1)/(s+1) · η^s⌉ with s = s_max - b. */
export function bracketWeights(h: HyperbandSettings): number[] {
  const count = bracketCount(h);
  const sMax = count - 1;
  return Array.from({ length: count }, (_, b) => Math.ceil(((sMax + 1) / (sMax - b + 1)) * h.eta ** (sMax - b)));
}

/** Bracket of trial `number` (0-based): smooth weighted round-robin over bracketWeights. */
export function bracketOf(h: HyperbandSettings, number: number): number {
  const w = bracketWeights(h);
  const total = w.reduce((a, b) => a + b, 0);
  const round = number % total;
  const given = new Array<number>(w.length).fill(0);
  let chosen = 0;
  for (let i = 0; i <= round; i++) {
    // The bracket furthest behind its share so far gets the next trial.
    let best = -Infinity;
    for (let b = 0; b < w.length; b++) {
      const deficit = (w[b] / total) * (i + 1) - given[b];
      if (deficit > best + 1e-12) { best = deficit; chosen = b; }
    }
    given[chosen]++;
  }
  return chosen;
}

export class HyperbandPruner implements Pruner {
  constructor(private readonly h: HyperbandSettings) {
    if (!(h.eta >= 2)) throw new Error(`hyperband: eta must be ≥ 2, got ${h.eta}`);
    if (!(h.minEpochs >= 1 && h.minEpochs <= h.maxEpochs)) throw new Error(`hyperband: need 1 ≤ minEpochs ≤ maxEpochs, got ${h.minEpochs}, ${h.maxEpochs}`);
  }

  shouldPrune(trial: { number: number; values: readonly number[] }, peers: readonly PeerCurve[]): boolean {
    const epoch = trial.values.length;
    const bracket = bracketOf(this.h, trial.number);
    if (!rungEpochs(this.h, bracket).includes(epoch)) return false;
    const mine = trial.values[epoch - 1];
    if (!Number.isFinite(mine)) return true;
    const rivals = peers
      .filter((p) => p.number !== trial.number && bracketOf(this.h, p.number) === bracket && p.values.length >= epoch)
      .map((p) => p.values[epoch - 1])
      .filter(Number.isFinite);
    const all = [...rivals, mine].sort((a, b) => b - a);
    const keep = Math.max(1, Math.floor(all.length / this.h.eta));
    return mine < all[keep - 1];
  }
}
