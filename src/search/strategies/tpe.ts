/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011), as Optuna's default TPESampler does it
 * (univariate, the anchor for "Bayesian" tuning here):
 *
 *   1. The first `startupTrials` trials are random (TPE needs data to model).
 *   2. Finished trials are split into "good" — the best γ(n) = min(⌈0.1·n⌉, 25) completed ones —
 *      and "bad" — the rest, including pruned and failed trials.
 *   3. Per parameter, l(x) is a Parzen (kernel) density of the good values and g(x) of the bad
 *      ones, each with the prior as one extra component; `candidates` draws from l are scored
 *      by l(x)/g(x) and the best is taken.
 *
 * Kernels are Gaussians truncated to the range, in log space for log-scaled parameters; each
 * kernel's width is the larger gap to its neighbours (Optuna's endpoint rule), clipped to
 * [range/min(100, n+1), range]. Categorical parameters use smoothed frequencies.
 */
import { Rng } from '../../util/rng.ts';
import { numericRange, type Distribution, type ParamValue, type Params, type SearchSpace } from '../space.ts';
import { trialSeed, type Sampler, type TrialView } from '../types.ts';
import { RandomSampler } from './random.ts';

export interface TpeOptions {
  /** Random trials before TPE starts modelling. */
  startupTrials: number;
  /** Draws from l(x) scored per parameter (Optuna: 24). */
  candidates?: number;
  /** How many of n finished trials count as good. */
  gamma?: (n: number) => number;
}

/** Optuna's default split: the best ⌈10%⌉ (at most 25) are "good". */
export const gamma = (n: number): number => Math.min(Math.ceil(0.1 * n), 25);

export class TpeSampler implements Sampler {
  private readonly random: RandomSampler;
  private readonly candidates: number;

  constructor(private readonly space: SearchSpace, private readonly seed: number, private readonly opts: TpeOptions) {
    this.random = new RandomSampler(space, seed);
    this.candidates = opts.candidates ?? 24;
  }

  suggest(number: number, trials: readonly TrialView[]): Params {
    const finished = trials.filter((t) => t.state !== 'running' && t.number !== number);
    const done = finished
      .filter((t) => t.state === 'done' && t.objective !== undefined && Number.isFinite(t.objective))
      .sort((a, b) => b.objective! - a.objective! || a.number - b.number);
    if (finished.length < this.opts.startupTrials || done.length === 0) return this.random.suggest(number);
    const nGood = Math.max(1, Math.min((this.opts.gamma ?? gamma)(finished.length), done.length));
    const good = done.slice(0, nGood);
    const bad = finished.filter((t) => !good.includes(t));

    const rng = new Rng(trialSeed(this.seed, number));
    const params: Params = {};
    for (const { key, dist } of this.space.params) {
      const values = (ts: readonly TrialView[]) => ts.map((t) => t.params[key]).filter((v) => v !== undefined);
      params[key] = suggestOne(dist, values(good), values(bad), this.candidates, rng);
    }
    return params;
  }
}

function suggestOne(dist: Distribution, good: ParamValue[], bad: ParamValue[], candidates: number, rng: Rng): ParamValue {
  if (dist.type === 'choice') {
    const l = categorical(dist.values, good);
    const g = categorical(dist.values, bad);
    let best = 0;
    let bestScore = -Infinity;
    for (let i = 0; i < candidates; i++) {
      const c = pick(l, rng);
      const score = Math.log(l[c]) - Math.log(g[c]);
      if (score > bestScore) { bestScore = score; best = c; }
    }
    return dist.values[best];
  }
  const r = numericRange(dist);
  // The starting trial may lie outside the space (a --config value): it cannot shape a density over the range.
  const inRange = (vs: ParamValue[]) => vs.map((v) => r.fromValue(v as number)).filter((x) => x >= r.lo && x <= r.hi);
  const l = parzen(inRange(good), r.lo, r.hi);
  const g = parzen(inRange(bad), r.lo, r.hi);
  let best = l.mus[0];
  let bestScore = -Infinity;
  for (let i = 0; i < candidates; i++) {
    const x = sampleMixture(l, r.lo, r.hi, rng);
    const score = logDensity(l, r.lo, r.hi, x) - logDensity(g, r.lo, r.hi, x);
    if (score > bestScore) { bestScore = score; best = x; }
  }
  return r.toValue(best);
}

/** Smoothed frequencies: each observation weighs 1, the uniform prior weighs 1 in total. */
function categorical(values: ParamValue[], observed: ParamValue[]): number[] {
  const k = values.length;
  const w = new Array<number>(k).fill(1 / k);
  for (const v of observed) {
    const i = values.findIndex((x) => x === v);
    if (i >= 0) w[i] += 1;
  }
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / total);
}

function pick(weights: number[], rng: Rng): number {
  let u = rng.next();
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i];
    if (u < 0) return i;
  }
  return weights.length - 1;
}

interface Mixture { mus: number[]; sigmas: number[]; weights: number[] }

/** Parzen estimator over [lo, hi]: one kernel per observation plus the prior (centre, width = range). */
export function parzen(observed: number[], lo: number, hi: number): Mixture {
  const range = hi - lo;
  const prior = (lo + hi) / 2;
  const mus = [...observed, prior];
  const order = mus.map((_, i) => i).sort((a, b) => mus[a] - mus[b]);
  const sigmas = new Array<number>(mus.length);
  const minSigma = range / Math.min(100, observed.length + 1);
  order.forEach((idx, j) => {
    const left = j === 0 ? mus[idx] - lo : mus[idx] - mus[order[j - 1]];
    const right = j === order.length - 1 ? hi - mus[idx] : mus[order[j + 1]] - mus[idx];
    sigmas[idx] = Math.min(range, Math.max(minSigma, left, right));
  });
  sigmas[mus.length - 1] = range; // the prior stays wide
  return { mus, sigmas, weights: mus.map(() => 1 / mus.length) };
}

function sampleMixture(m: Mixture, lo: number, hi: number, rng: Rng): number {
  const j = pick(m.weights, rng);
  // Rejection from the untruncated kernel: each kernel's centre is inside the range and its width
  // at most the range, so at least ~1/3 of draws land inside.
  for (let tries = 0; tries < 100; tries++) {
    const x = m.mus[j] + m.sigmas[j] * gaussian(rng);
    if (x >= lo && x <= hi) return x;
  }
  return lo + (hi - lo) * rng.next();
}

function logDensity(m: Mixture, lo: number, hi: number, x: number): number {
  let p = 0;
  for (let j = 0; j < m.mus.length; j++) {
    const s = m.sigmas[j];
    const z = (x - m.mus[j]) / s;
    const mass = normalCdf((hi - m.mus[j]) / s) - normalCdf((lo - m.mus[j]) / s);
    p += (m.weights[j] * Math.exp(-0.5 * z * z)) / (s * Math.sqrt(2 * Math.PI) * Math.max(mass, 1e-12));
  }
  return Math.log(Math.max(p, 1e-300));
}

/** Standard normal draw (Box–Muller). */
function gaussian(rng: Rng): number {
  const u = 1 - rng.next(); // (0, 1]: log stays finite
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** Φ(z) via erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7: ample for ranking candidates). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}
