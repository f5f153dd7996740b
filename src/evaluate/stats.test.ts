import { test } from 'node:test';
import assert from 'node:assert/strict';
import { confidenceInterval, correctedResampledTTest, mean, std, studentTCdf, studentTQuantile } from './stats.ts';

const close = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected} (tolerance ${tol})`);

// A worked example computed independently (numpy for the arithmetic, mpmath quadrature of the t
// density — not the incomplete-beta route used here — for the CDF and quantiles):
// two models' accuracies on the same 10 folds.
const A = [0.9102, 0.9050, 0.9133, 0.9071, 0.9118, 0.9087, 0.9045, 0.9126, 0.9098, 0.9064];
const B = [0.9071, 0.9062, 0.9090, 0.9040, 0.9101, 0.9043, 0.9049, 0.9085, 0.9080, 0.9030];

test('Student t CDF and quantiles match independent values', () => {
  close(studentTQuantile(0.975, 9), 2.2621571627982, 1e-10, 't 0.975, df 9');
  close(studentTQuantile(0.975, 2), 4.30265272974946, 1e-10, 't 0.975, df 2');
  close(studentTQuantile(0.025, 9), -2.2621571627982, 1e-10, 't 0.025, df 9');
  close(studentTCdf(1.5, 3), 0.884708067377588, 1e-12, 'F(1.5; 3)');
  close(studentTCdf(-2.2, 30), 0.0178242199984179, 1e-12, 'F(-2.2; 30)');
  assert.equal(studentTCdf(0, 5), 0.5);
});

test('corrected resampled t-test (Nadeau & Bengio) on a 10-fold worked example', () => {
  const r = correctedResampledTTest(A, B, { testTrainRatio: 1 / 9 });
  close(r.meanDiff, 0.0024299999999999877, 1e-15, 'mean difference');
  close(r.stdDiff, 0.0019471061147821897, 1e-15, 'std of differences');
  close(r.t, 2.7161960116865913, 1e-12, 't');
  assert.equal(r.df, 9);
  close(r.p, 0.0237552881917017, 1e-12, 'p');
  close(r.ci.low, 0.0004061983737740941, 1e-12, 'CI low');
  close(r.ci.high, 0.004453801626225881, 1e-12, 'CI high');
  // The uncorrected paired t-test is ~7x more confident on the same numbers.
  const naive = correctedResampledTTest(A, B, { testTrainRatio: 0 });
  close(naive.t, 3.946541308596692, 1e-12, 'naive t');
  close(naive.p, 0.00337234366295536, 1e-12, 'naive p');
  // Antisymmetric in the order of the two models.
  const rev = correctedResampledTTest(B, A, { testTrainRatio: 1 / 9 });
  close(rev.t, -r.t, 1e-12, 'reversed t');
  close(rev.p, r.p, 1e-12, 'reversed p');
});

test('mean, std and the corrected confidence interval of one model', () => {
  close(mean(A), 0.90894, 1e-15, 'mean');
  close(std(A), 0.0031277254781496883, 1e-15, 'std');
  const ci = confidenceInterval(A, { testTrainRatio: 1 / 9 });
  close(ci.low, 0.9056890750190697, 1e-12, 'CI low');
  close(ci.high, 0.9121909249809302, 1e-12, 'CI high');
  const plain = confidenceInterval(A);
  assert.ok(plain.halfWidth < ci.halfWidth, 'the correction widens the interval');
});

test('degenerate differences do not produce NaN', () => {
  const same = correctedResampledTTest([0.9, 0.91, 0.92], [0.9, 0.91, 0.92], { testTrainRatio: 0.5 });
  assert.equal(same.t, 0);
  assert.equal(same.p, 1);
  const shifted = correctedResampledTTest([0.91, 0.92, 0.93], [0.9, 0.91, 0.92], { testTrainRatio: 0.5 });
  assert.ok(shifted.t > 1e6 || shifted.t === Infinity);
  assert.ok(shifted.p < 1e-6);
  assert.throws(() => correctedResampledTTest([1], [1], { testTrainRatio: 0 }), /at least two/);
});
