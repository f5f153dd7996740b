/** The out-of-distribution score's arithmetic, on data made here with known answers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitGaussians, oodScore, oodText, oodVerdict, spdInverse } from './ood_math.ts';

test('the inverse of a symmetric positive-definite matrix: A·A⁻¹ = I; a singular one is refused', () => {
  const n = 5;
  const a = new Float64Array(n * n);
  // A = BᵀB + I for a fixed B: symmetric positive definite.
  const b = Array.from({ length: n * n }, (_, i) => Math.sin(i + 1));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < n; k++) a[i * n + j] += b[k * n + i] * b[k * n + j];
      if (i === j) a[i * n + j] += 1;
    }
  }
  const inv = spdInverse(a, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k] * inv[k * n + j];
      assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-9, `(${i},${j}) = ${s}`);
    }
  }
  assert.throws(() => spdInverse(new Float64Array([1, 1, 1, 1]), 2), /not positive definite at row 1/);
});

test('class Gaussians: means recovered, distance in units of the spread, the nearest class counts', () => {
  // Two classes in 2-D: x spread ±1 and y spread ±3 around (0, 0) and (10, 0).
  const pts: [number, number, number][] = [];
  for (const [cx, label] of [
    [0, 0],
    [10, 1],
  ])
    for (const dx of [-1, 1]) for (const dy of [-3, 3]) pts.push([cx + dx, dy, label]);
  const f = Float32Array.from(pts.flatMap(([x, y]) => [x, y]));
  const g = fitGaussians(
    f,
    pts.map((p) => p[2]),
    2,
    2,
  );
  assert.deepEqual(g.means, [
    [0, 0],
    [10, 0],
  ]);
  const s = { ...g, dim: 2 };
  assert.ok(Math.abs(oodScore(s, [10, 0])) < 1e-12, 'at a class mean: 0');
  // One spread away along x scores as one spread away along y (variances 1 and 9, ridge 1e-3 of their mean).
  assert.ok(Math.abs(oodScore(s, [1, 0]) - oodScore(s, [0, 3])) < 0.01);
  assert.ok(Math.abs(oodScore(s, [1, 0]) - 1) < 0.01);
  assert.ok(oodScore(s, [5, 0]) > 20, 'between the classes is far from both');
});

test('verdicts against the calibration scores: the share at least this far, unusual beyond all but 1%', () => {
  const calibration = Array.from({ length: 1000 }, (_, i) => i + 1); // 1 … 1000
  assert.deepEqual(oodVerdict({ calibration }, 0.5), { score: 0.5, tailShare: 1, unusual: false });
  assert.equal(oodVerdict({ calibration }, 500).tailShare, 0.501);
  assert.equal(oodVerdict({ calibration }, 991).unusual, false, '10 of 1,000 are at least this far: 1%');
  assert.equal(oodVerdict({ calibration }, 991.5).unusual, true, '9 of 1,000');
  assert.match(
    oodText(oodVerdict({ calibration }, 2000)),
    /^This picture is unlike Fashion-MNIST: .* than any of the test images is/,
  );
  assert.equal(
    oodText(oodVerdict({ calibration }, 500)),
    'Like Fashion-MNIST: 50% of the test images are at least this far from every class.',
  );
});
