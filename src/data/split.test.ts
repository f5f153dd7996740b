import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../util/rng.ts';
import { stratifiedKFold, stratifiedSplit, stratifiedSubset } from './split.ts';

/** Labels with unequal classes (class c has 40 + 7c items), shuffled, so stratification is visible. */
function unevenLabels(seed = 1): Uint8Array {
  const out: number[] = [];
  for (let c = 0; c < 10; c++) for (let i = 0; i < 40 + 7 * c; i++) out.push(c);
  return new Rng(seed).shuffle(Uint8Array.from(out));
}

const counts = (labels: Uint8Array, idx: Int32Array) => {
  const n = new Array(10).fill(0);
  for (const i of idx) n[labels[i]]++;
  return n;
};

test('k-fold: validation parts are disjoint, cover every index once, and train = the rest', () => {
  const labels = unevenLabels();
  for (const k of [2, 3, 10]) {
    const folds = stratifiedKFold(labels, k, 7);
    assert.equal(folds.length, k);
    const seen = new Int32Array(labels.length);
    for (const f of folds) {
      for (const i of f.val) seen[i]++;
      assert.equal(f.train.length + f.val.length, labels.length);
      const inVal = new Set(f.val);
      assert.ok(f.train.every((i) => !inVal.has(i)), 'train and validation of a fold are disjoint');
      assert.ok(f.train.every((v, j) => j === 0 || f.train[j - 1] < v), 'sorted, no repeats');
    }
    assert.ok(seen.every((n) => n === 1), `k=${k}: every index validates exactly once`);
  }
});

test('k-fold: every fold holds each class in proportion (within one item) and sizes differ by at most one', () => {
  const labels = unevenLabels();
  const k = 10;
  const total = counts(labels, Int32Array.from({ length: labels.length }, (_, i) => i));
  const folds = stratifiedKFold(labels, k, 7);
  for (const f of folds) {
    counts(labels, f.val).forEach((n, c) => assert.ok(Math.abs(n - total[c] / k) < 1, `class ${c}: ${n} vs ${total[c] / k}`));
  }
  const sizes = folds.map((f) => f.val.length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `fold sizes ${sizes}`);
});

test('k-fold: the same seed gives the same folds, another seed different ones', () => {
  const labels = unevenLabels();
  const a = stratifiedKFold(labels, 5, 42);
  const b = stratifiedKFold(labels, 5, 42);
  const c = stratifiedKFold(labels, 5, 43);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.map((f) => f.val), c.map((f) => f.val));
});

test('k-fold: bad k is a one-line user error', () => {
  const labels = unevenLabels();
  assert.throws(() => stratifiedKFold(labels, 1, 0), /folds must be a whole number ≥ 2/);
  assert.throws(() => stratifiedKFold(labels, 2.5, 0), /folds must be a whole number ≥ 2/);
  assert.throws(() => stratifiedKFold(Uint8Array.from([0, 1]), 3, 0), /cannot make 3 folds from 2/);
});

test('train/validation split: stratified, disjoint, covering, seeded', () => {
  const labels = unevenLabels();
  const s = stratifiedSplit(labels, 0.2, 3);
  const total = counts(labels, Int32Array.from({ length: labels.length }, (_, i) => i));
  counts(labels, s.val).forEach((n, c) => assert.equal(n, Math.round(total[c] * 0.2), `class ${c}`));
  assert.equal(s.train.length + s.val.length, labels.length);
  assert.equal(new Set([...s.train, ...s.val]).size, labels.length);
  assert.deepEqual(stratifiedSplit(labels, 0.2, 3), s);
  assert.notDeepEqual(stratifiedSplit(labels, 0.2, 4).val, s.val);
  assert.throws(() => stratifiedSplit(labels, 1, 0), /between 0 and 1/);
});

test('subset: exactly n, class shares kept, seeded', () => {
  const labels = unevenLabels();
  const n = 123;
  const sub = stratifiedSubset(labels, n, 5);
  assert.equal(sub.length, n);
  assert.equal(new Set(sub).size, n);
  const total = counts(labels, Int32Array.from({ length: labels.length }, (_, i) => i));
  counts(labels, sub).forEach((m, c) => assert.ok(Math.abs(m - (total[c] * n) / labels.length) < 1, `class ${c}`));
  assert.deepEqual(stratifiedSubset(labels, n, 5), sub);
  assert.notDeepEqual(stratifiedSubset(labels, n, 6), sub);
});

test('a --limit above the training set size is refused in one line, not silently capped', () => {
  const labels = unevenLabels();
  assert.equal(stratifiedSubset(labels, labels.length, 5).length, labels.length, 'exactly all is allowed');
  assert.throws(() => stratifiedSubset(labels, labels.length + 1, 5), (e: Error) => {
    assert.equal(e.name, 'UserError');
    assert.equal(e.message, `a limit of ${labels.length + 1} images is more than the ${labels.length} training images: use at most ${labels.length}, or no limit to use them all`);
    return true;
  });
  const sixty = new Uint8Array(60_000).map((_, i) => i % 10);
  assert.throws(() => stratifiedSubset(sixty, 70_000, 1), /^UserError: a limit of 70000 images is more than the 60,000 training images/);
});
