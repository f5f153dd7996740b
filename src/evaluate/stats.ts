/**
 * Small-sample statistics for cross-validation: mean ± std, Student-t confidence intervals, and
 * the corrected resampled t-test of Nadeau & Bengio (2003) for comparing two models on the same
 * folds.
 *
 * Why the correction: the K training sets of a K-fold CV overlap, so the K fold scores are
 * positively correlated and the plain t statistic (variance / K) is far too confident. Nadeau &
 * Bengio replace 1/K by 1/K + n_test/n_train, which grows the standard error to account for that
 * correlation (Bouckaert & Frank 2004 showed it keeps the type-I error near its nominal level).
 *
 * The Student-t CDF and quantile come from stdlib (@stdlib/stats-base-dists-t-cdf and
 * -t-quantile, pure JavaScript); stats.test.ts checks them against independent mpmath values.
 */

import betainc from '@stdlib/math-base-special-betainc';
import gammaln from '@stdlib/math-base-special-gammaln';
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

export function mean(xs: readonly number[]): number {
  if (!xs.length) throw new Error('mean of no values');
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample variance (n − 1 denominator); 0 for a single value. */
export function variance(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1);
}

/** Sample standard deviation (n − 1 denominator). */
export function std(xs: readonly number[]): number {
  return Math.sqrt(variance(xs));
}

// ---- the Student-t distribution (stdlib's special functions)

/** ln Γ(x) for x > 0 (stdlib's gammaln). */
export function logGamma(x: number): number {
  return gammaln(x);
}

/** The regularized incomplete beta function I_x(a, b) (stdlib's betainc), clamped to 0 / 1 outside (0, 1). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  return betainc(x, a, b);
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new Error(`degrees of freedom must be positive, got ${df}`);
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  return tCdf(t, df);
}

/** The p-quantile of Student's t. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`quantile level must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new Error(`degrees of freedom must be positive, got ${df}`);
  return tQuantile(p, df);
}

// ---- summaries and tests

export interface Interval {
  low: number;
  high: number;
  halfWidth: number;
  /** Confidence level, e.g. 0.95. */
  level: number;
}

export interface CorrectionOptions {
  /**
   * n_test / n_train of one resample (1/(K−1) for K-fold CV). 0 gives the textbook interval /
   * paired t-test that treats the folds as independent.
   */
  testTrainRatio?: number;
  level?: number;
}

/**
 * Confidence interval of the mean of `values`: mean ± t(level, J−1) · std · √(1/J + ratio).
 * With ratio 0 this is the usual Student-t interval; with the Nadeau–Bengio ratio it allows for
 * the overlap of CV training sets (wider, honestly so).
 */
export function confidenceInterval(values: readonly number[], o: CorrectionOptions = {}): Interval {
  const level = o.level ?? 0.95;
  const j = values.length;
  const m = mean(values);
  if (j < 2) return { low: NaN, high: NaN, halfWidth: NaN, level };
  const half = studentTQuantile(1 - (1 - level) / 2, j - 1) * std(values) * Math.sqrt(1 / j + (o.testTrainRatio ?? 0));
  return { low: m - half, high: m + half, halfWidth: half, level };
}

export interface PairedTest {
  /** Number of paired scores (folds). */
  n: number;
  /** Mean of a − b. */
  meanDiff: number;
  stdDiff: number;
  testTrainRatio: number;
  t: number;
  df: number;
  /** Two-sided p-value. */
  p: number;
  /** Confidence interval of the mean difference, corrected the same way. */
  ci: Interval;
}

/**
 * The corrected resampled t-test (Nadeau & Bengio 2003, "Inference for the Generalization
 * Error"): t = mean(d) / √((1/J + n_test/n_train) · var(d)) with J − 1 degrees of freedom, where
 * d are the per-fold differences of two models evaluated on the same folds.
 */
export function correctedResampledTTest(a: readonly number[], b: readonly number[], o: CorrectionOptions = {}): PairedTest {
  if (a.length !== b.length) throw new Error(`paired scores must have equal length (${a.length} vs ${b.length})`);
  if (a.length < 2) throw new Error('the paired t-test needs at least two folds');
  const ratio = o.testTrainRatio ?? 0;
  const d = a.map((x, i) => x - b[i]);
  const j = d.length;
  const m = mean(d);
  const v = variance(d);
  const se = Math.sqrt((1 / j + ratio) * v);
  const df = j - 1;
  // Identical differences on every fold: no spread, so the sign alone decides.
  const t = se > 0 ? m / se : m === 0 ? 0 : Math.sign(m) * Infinity;
  // 2·F(−|t|) rather than 2·(1 − F(|t|)): no cancellation for small p.
  const p = Number.isFinite(t) ? 2 * studentTCdf(-Math.abs(t), df) : 0;
  return { n: j, meanDiff: m, stdDiff: Math.sqrt(v), testTrainRatio: ratio, t, df, p, ci: confidenceInterval(d, o) };
}
