/** The interactive charts' numbers: lines per metric, TensorBoard's smoothing, ticks and scales. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linearTicks, logNice, logTicks, scale, seriesOf, smooth, type ChartRun } from './chart_math.ts';

const epoch = (e: number, valLoss?: number) => ({
  epoch: e,
  loss: 1 / e,
  acc: 0.5 + e / 10,
  valLoss,
  valAcc: valLoss === undefined ? undefined : 0.6,
  lr: 0.01 / e,
  seconds: 2,
  imagesPerSecond: 900 + e,
});

test("a metric's lines: training dashed, validation solid, or one per run; missing values left out", () => {
  const runs: ChartRun[] = [
    { id: 3, label: '#3 a', colour: '#111111', epochs: [epoch(1, 1.2), epoch(2, 0.9)] },
    { id: 4, label: '#4 b', colour: '#222222', epochs: [epoch(1), epoch(2)] }, // trained on everything: no validation
  ];
  const loss = seriesOf(runs, 'loss');
  assert.deepEqual(
    loss.map((l) => [l.key, l.run, l.label, l.dashed]),
    [
      ['3/train', '3', '#3 a train', true],
      ['3/validation', '3', '#3 a validation', false],
      ['4/train', '4', '#4 b train', true],
    ],
  );
  assert.deepEqual(loss[1].points, [
    [1, 1.2],
    [2, 0.9],
  ]);
  const ips = seriesOf(runs, 'imagesPerSecond');
  assert.deepEqual(
    ips.map((l) => [l.label, l.dashed, l.colour]),
    [
      ['#3 a', false, '#111111'],
      ['#4 b', false, '#222222'],
    ],
  );
  assert.deepEqual(ips[0].points, [
    [1, 901],
    [2, 902],
  ]);
});

test('smoothing: weight 0 leaves a line alone, the start is not pulled towards zero, and a worked example', () => {
  const pts: [number, number][] = [
    [1, 4],
    [2, 2],
    [3, 1],
  ];
  assert.deepEqual(smooth(pts, 0), pts);
  assert.deepEqual(
    smooth(
      [
        [1, 5],
        [2, 5],
        [3, 5],
      ],
      0.9,
    ).map((p) => Number(p[1].toFixed(12))),
    [5, 5, 5],
  );
  // Weight 0.5 by hand: running 2, 2; 2·0.5 + 1 = 2, weights 0.5, 0.75 → 4, 2.667; then (2·0.5 + 0.5) / 0.875.
  const s = smooth(pts, 0.5).map((p) => p[1]);
  assert.equal(s[0], 4);
  assert.ok(Math.abs(s[1] - 8 / 3) < 1e-12);
  assert.ok(Math.abs(s[2] - 1.5 / 0.875) < 1e-12);
});

test('ticks: 1-2-5 steps; log axes at 1, 2, 5 times powers of ten over a domain widened to them', () => {
  assert.deepEqual(linearTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(linearTicks(1, 10, 8), [2, 4, 6, 8, 10]);
  assert.deepEqual(logNice(0.55, 1.21), [0.5, 2]);
  assert.deepEqual(logTicks(0.5, 2), [0.5, 1, 2]);
  assert.deepEqual(logTicks(1e-4, 1), [1e-4, 1e-3, 1e-2, 0.1, 1]);
  const y = scale(1, 100, 300, 0, true);
  assert.equal(y(1), 300);
  assert.equal(y(10), 150);
  assert.equal(y(100), 0);
});
