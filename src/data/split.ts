/**
 * Seeded, stratified index splits: every class keeps its share in each part.
 * All functions return sorted Int32Array index lists into the original arrays.
 */
import { Rng } from '../util/rng.ts';
import { UserError } from '../util/errors.ts';

/** Indices of each class, in original order. */
function byClass(labels: ArrayLike<number>, numClasses: number): number[][] {
  const groups: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) groups[labels[i]].push(i);
  return groups;
}

const sorted = (a: number[]): Int32Array => Int32Array.from(a).sort();

/** Split into train/validation with `valFraction` of every class in validation. */
export function stratifiedSplit(labels: ArrayLike<number>, valFraction: number, seed: number, numClasses = 10): { train: Int32Array; val: Int32Array } {
  if (!(valFraction > 0 && valFraction < 1)) throw new UserError(`validation split must be between 0 and 1 (exclusive), got ${valFraction}`);
  const rng = new Rng(seed);
  const train: number[] = [];
  const val: number[] = [];
  for (const group of byClass(labels, numClasses)) {
    rng.shuffle(group);
    const nVal = Math.round(group.length * valFraction);
    val.push(...group.slice(0, nVal));
    train.push(...group.slice(nVal));
  }
  return { train: sorted(train), val: sorted(val) };
}

/**
 * K stratified folds: each fold's validation part holds ~1/k of every class; the validation
 * parts are disjoint and together cover every index exactly once.
 */
export function stratifiedKFold(labels: ArrayLike<number>, k: number, seed: number, numClasses = 10): { train: Int32Array; val: Int32Array }[] {
  if (!Number.isInteger(k) || k < 2) throw new UserError(`folds must be a whole number ≥ 2, got ${k}`);
  if (k > labels.length) throw new UserError(`cannot make ${k} folds from ${labels.length} examples`);
  const rng = new Rng(seed);
  const foldOf = new Int32Array(labels.length);
  // Deal each shuffled class round-robin, starting where the previous class stopped, so fold
  // sizes differ by at most one overall as well as per class.
  let next = 0;
  for (const group of byClass(labels, numClasses)) {
    rng.shuffle(group);
    for (const i of group) {
      foldOf[i] = next;
      next = (next + 1) % k;
    }
  }
  return Array.from({ length: k }, (_, f) => {
    const train: number[] = [];
    const val: number[] = [];
    for (let i = 0; i < labels.length; i++) (foldOf[i] === f ? val : train).push(i);
    return { train: Int32Array.from(train), val: Int32Array.from(val) };
  });
}

/** A stratified subset of `n` indices (for --limit): the same class shares as the whole. */
export function stratifiedSubset(labels: ArrayLike<number>, n: number, seed: number, numClasses = 10): Int32Array {
  if (!Number.isInteger(n) || n < numClasses) throw new UserError(`a limit must be a whole number of images ≥ ${numClasses}, got ${n}`);
  // More than there are would train on all of them while recording the larger number.
  if (n > labels.length) throw new UserError(`a limit of ${n} images is more than the ${labels.length.toLocaleString("en-US")} training images: use at most ${labels.length}, or no limit to use them all`);
  if (n === labels.length) return Int32Array.from({ length: labels.length }, (_, i) => i);
  const rng = new Rng(seed);
  const picked: number[] = [];
  const groups = byClass(labels, numClasses);
  // Largest-remainder rounding so the subset has exactly n items.
  const quotas = groups.map((g) => (g.length * n) / labels.length);
  const counts = quotas.map(Math.floor);
  let left = n - counts.reduce((a, b) => a + b, 0);
  const order = quotas.map((q, c) => [q - Math.floor(q), c]).sort((a, b) => b[0] - a[0]);
  for (const [, c] of order) { if (left-- <= 0) break; counts[c]++; }
  groups.forEach((g, c) => { rng.shuffle(g); picked.push(...g.slice(0, counts[c])); });
  return sorted(picked);
}
