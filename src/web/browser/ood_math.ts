/**
 * "Is this picture like Fashion-MNIST at all?" — the Mahalanobis score of Lee et al. (2018) on a
 * model's penultimate features (the input of its last Dense layer): class means and one shared
 * covariance fitted on training images; a picture's score is its squared distance to the nearest
 * class mean. Calibrated on test images: a picture further than all but `TAIL` of them is called
 * unlike the dataset. No DOM, no Node: the server (web/ood.ts) fits it, the page scores with it.
 */

/** The share of test images allowed beyond the cut-off: 1% of real Fashion-MNIST pictures get flagged. */
export const TAIL = 0.01;

export interface OodStats {
  /** The layer whose input is the feature vector (the model's last Dense layer). */
  layer: string;
  dim: number;
  /** Class means, [classes][dim]. */
  means: number[][];
  /** Inverse of the shared covariance (ridge-regularised), row-major [dim × dim]. */
  precision: number[];
  /** Scores of the calibration test images, ascending. */
  calibration: number[];
}

export interface OodVerdict {
  score: number;
  /** Share of the calibration test images at least this far from every class (1: as close as any). */
  tailShare: number;
  unusual: boolean;
}

/** The inverse of a symmetric positive-definite matrix (row-major n × n), by Cholesky. */
export function spdInverse(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(s > 0)) throw new Error(`matrix not positive definite at row ${i}`);
        l[i * n + i] = Math.sqrt(s);
      } else l[i * n + j] = s / l[j * n + j];
    }
  }
  // inv(L) column by column, then inv(A) = inv(L)ᵀ inv(L).
  const li = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    for (let i = c; i < n; i++) {
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= l[i * n + k] * li[k * n + c];
      li[i * n + c] = s / l[i * n + i];
    }
  }
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += li[k * n + i] * li[k * n + j];
      inv[i * n + j] = s;
      inv[j * n + i] = s;
    }
  }
  return inv;
}

/**
 * Class means and the precision of the shared within-class covariance of `features` ([n × dim]),
 * with a ridge of 1e-3 of the mean variance so that a rank-deficient covariance (dead ReLUs) inverts.
 */
export function fitGaussians(features: Float32Array, labels: ArrayLike<number>, dim: number, classes: number) {
  const n = labels.length;
  const means = Array.from({ length: classes }, () => new Float64Array(dim));
  const counts = new Array(classes).fill(0);
  for (let i = 0; i < n; i++) {
    counts[labels[i]]++;
    for (let d = 0; d < dim; d++) means[labels[i]][d] += features[i * dim + d];
  }
  means.forEach((m, c) => m.forEach((_, d) => (m[d] /= Math.max(1, counts[c]))));
  const cov = new Float64Array(dim * dim);
  const x = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dim; d++) x[d] = features[i * dim + d] - means[labels[i]][d];
    for (let a = 0; a < dim; a++) for (let b = 0; b <= a; b++) cov[a * dim + b] += x[a] * x[b];
  }
  let trace = 0;
  for (let a = 0; a < dim; a++) for (let b = 0; b <= a; b++) cov[b * dim + a] = cov[a * dim + b] /= n;
  for (let a = 0; a < dim; a++) trace += cov[a * dim + a];
  const ridge = (1e-3 * trace) / dim || 1e-6;
  for (let a = 0; a < dim; a++) cov[a * dim + a] += ridge;
  return { means: means.map((m) => Array.from(m)), precision: Array.from(spdInverse(cov, dim)) };
}

/** Squared Mahalanobis distance from `f` to the nearest class mean. */
export function oodScore(s: Pick<OodStats, 'means' | 'precision' | 'dim'>, f: ArrayLike<number>): number {
  const { dim } = s;
  const x = new Float64Array(dim);
  let best = Infinity;
  for (const m of s.means) {
    for (let d = 0; d < dim; d++) x[d] = f[d] - m[d];
    let q = 0;
    for (let a = 0; a < dim; a++) {
      let row = 0;
      for (let b = 0; b < dim; b++) row += s.precision[a * dim + b] * x[b];
      q += x[a] * row;
    }
    best = Math.min(best, q);
  }
  return best;
}

/** Where a score falls among the calibration test images' scores, and whether it is beyond all but TAIL of them. */
export function oodVerdict(s: Pick<OodStats, 'calibration'>, score: number): OodVerdict {
  const c = s.calibration;
  let lo = 0;
  let hi = c.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (c[mid] < score) lo = mid + 1;
    else hi = mid;
  }
  const tailShare = (c.length - lo) / c.length;
  return { score, tailShare, unusual: tailShare < TAIL };
}

/** What the page says about a verdict. */
export function oodText(v: OodVerdict): string {
  const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
  const than = v.tailShare === 0 ? 'any of the test images is' : `${pct(1 - v.tailShare)} of the test images are`;
  return v.unusual
    ? `This picture is unlike Fashion-MNIST: it is further from every class than ${than}, ` +
        'so the classes below are a guess, not a recognition.'
    : `Like Fashion-MNIST: ${pct(v.tailShare)} of the test images are at least this far from every class.`;
}
