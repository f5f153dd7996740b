import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learningRate } from './schedule.ts';

test('warm-up rises linearly from lr/10 to lr', () => {
  const c = { lr: 1, schedule: 'constant' as const };
  assert.equal(learningRate(c, 0, 100, 10), 0.1);
  assert.ok(Math.abs(learningRate(c, 5, 100, 10) - 0.55) < 1e-12);
  assert.equal(learningRate(c, 10, 100, 10), 1);
});

test('cosine decays from lr to lr/100, monotonically', () => {
  const c = { lr: 1, schedule: 'cosine' as const };
  const xs = Array.from({ length: 101 }, (_, s) => learningRate(c, s, 100, 0));
  assert.equal(xs[0], 1);
  assert.ok(Math.abs(xs[100] - 0.01) < 1e-12);
  assert.ok(Math.abs(xs[50] - 0.505) < 1e-12);
  for (let i = 1; i < xs.length; i++) assert.ok(xs[i] <= xs[i - 1]);
});

test('step decay drops tenfold at half and three quarters', () => {
  const c = { lr: 1, schedule: 'step' as const };
  assert.equal(learningRate(c, 49, 100, 0), 1);
  assert.equal(learningRate(c, 50, 100, 0), 0.1);
  assert.equal(learningRate(c, 80, 100, 0), 0.01);
});
