/**
 * The strategies and pruners on a synthetic objective defined here, so they run in milliseconds:
 * "accuracy" peaks at lr = 3e-3, batchSize 64, optimizer adam, dropout 0.2, and a trial's learning
 * curve rises towards its final value over the epochs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpace, type Params } from './space.ts';
import { makePruner, makeStrategy, MedianPruner } from './strategies/index.ts';
import { bracketCount, bracketOf, bracketWeights, HyperbandPruner, rungEpochs } from './strategies/hyperband.ts';
import type { PeerCurve, Strategy, TrialView } from './types.ts';

const space = parseSpace({
  lr: { type: 'loguniform', low: 1e-4, high: 1e-1 },
  batchSize: { type: 'choice', values: [32, 64, 128, 256] },
  optimizer: { type: 'choice', values: ['adam', 'sgd', 'rmsprop'] },
  dropout: { type: 'uniform', low: 0, high: 0.5 },
  epochs: 9,
});

function finalAccuracy(p: Params): number {
  const lr = Math.log10(p.lr as number) - Math.log10(3e-3);
  return 0.92 - 0.05 * lr * lr - (p.batchSize === 64 ? 0 : 0.01) - (p.optimizer === 'adam' ? 0 : 0.02) - 0.1 * ((p.dropout as number) - 0.2) ** 2;
}
const curve = (p: Params, epochs: number) => Array.from({ length: epochs }, (_, e) => finalAccuracy(p) - 0.3 / (e + 1) ** 1.5);

/** A serial study loop against the synthetic objective, with pruning after every epoch. */
function simulate(strategy: Strategy, trials: number, epochs = 9): { views: TrialView[]; epochsSpent: number } {
  const pruner = makePruner(strategy.prunerSpec);
  const views: TrialView[] = [];
  let epochsSpent = 0;
  for (let n = 0; n < trials; n++) {
    const params = strategy.sampler.suggest(n, views);
    const full = curve(params, epochs);
    const view: TrialView = { number: n, params, state: 'running', values: [] };
    views.push(view);
    for (let e = 0; e < epochs; e++) {
      view.values.push(full[e]);
      epochsSpent++;
      if (e < epochs - 1 && pruner?.shouldPrune({ number: n, values: view.values }, views as PeerCurve[])) { view.state = 'pruned'; break; }
    }
    if (view.state === 'running') { view.state = 'done'; view.objective = full[epochs - 1]; }
  }
  return { views, epochsSpent };
}

const best = (views: TrialView[]) => Math.max(...views.filter((v) => v.state === 'done').map((v) => v.objective!));
const opts = (trials: number, pruner: 'median' | 'none' = 'none') => ({ space, seed: 1, trials, epochs: 9, pruner });

test('random: the same seed and trial number give the same parameters, inside the space', () => {
  const a = makeStrategy('random', opts(20));
  const b = makeStrategy('random', opts(20));
  for (let n = 0; n < 20; n++) {
    const p = a.sampler.suggest(n, []);
    assert.deepEqual(p, b.sampler.suggest(n, []));
    assert.ok((p.lr as number) >= 1e-4 && (p.lr as number) <= 1e-1);
    assert.ok([32, 64, 128, 256].includes(p.batchSize as number));
    assert.ok((p.dropout as number) >= 0 && (p.dropout as number) <= 0.5);
  }
  assert.notDeepEqual(a.sampler.suggest(0, []), a.sampler.suggest(1, []));
  // loguniform: about half the draws below the geometric middle (3.16e-3).
  const below = Array.from({ length: 400 }, (_, n) => a.sampler.suggest(n, []).lr as number).filter((x) => x < 10 ** -2.5).length;
  assert.ok(below > 160 && below < 240, `${below}/400 below the log-midpoint`);
});

test('tpe beats random search on the synthetic objective, averaged over seeds', () => {
  let tpeWins = 0;
  let tpeSum = 0;
  let randomSum = 0;
  const seeds = 12;
  for (let seed = 0; seed < seeds; seed++) {
    const tpe = simulate(makeStrategy('tpe', { ...opts(30), seed }), 30);
    const rnd = simulate(makeStrategy('random', { ...opts(30), seed }), 30);
    tpeSum += best(tpe.views);
    randomSum += best(rnd.views);
    if (best(tpe.views) >= best(rnd.views)) tpeWins++;
    // After start-up TPE concentrates near the optimum: its later half is better on average.
    if (seed === 0) {
      const mean = (vs: TrialView[]) => vs.reduce((s, v) => s + finalAccuracy(v.params), 0) / vs.length;
      assert.ok(mean(tpe.views.slice(15)) > mean(rnd.views.slice(15)), 'TPE samples better configurations later on');
    }
  }
  assert.ok(tpeSum > randomSum, `mean best: tpe ${(tpeSum / seeds).toFixed(4)} vs random ${(randomSum / seeds).toFixed(4)}`);
  assert.ok(tpeWins >= seeds / 2, `TPE won ${tpeWins}/${seeds}`);
});

test('tpe is deterministic given the same history', () => {
  const s = makeStrategy('tpe', opts(20));
  const { views } = simulate(s, 12);
  assert.deepEqual(s.sampler.suggest(12, views), makeStrategy('tpe', opts(20)).sampler.suggest(12, views));
});

test('median pruning saves epochs and keeps the best configurations', () => {
  const plain = simulate(makeStrategy('random', opts(40)), 40);
  const pruned = simulate(makeStrategy('random', opts(40, 'median')), 40);
  assert.ok(pruned.epochsSpent < plain.epochsSpent * 0.75, `epochs: ${pruned.epochsSpent} vs ${plain.epochsSpent}`);
  assert.equal(best(pruned.views), best(plain.views), 'the best trial is never pruned (same seed, same configs)');
  assert.ok(pruned.views.some((v) => v.state === 'pruned'));
});

test('median pruner: no pruning during start-up or warm-up; prunes below the median', () => {
  const p = new MedianPruner({ startupTrials: 2, warmupEpochs: 1 });
  const done = (number: number, values: number[]): PeerCurve => ({ number, state: 'done', values });
  const peers = [done(0, [0.5, 0.8]), done(1, [0.6, 0.9]), done(2, [0.7, 0.95])];
  assert.equal(p.shouldPrune({ number: 3, values: [0.1] }, peers), false, 'warm-up epoch');
  assert.equal(p.shouldPrune({ number: 3, values: [0.1, 0.85] }, peers), true, 'below median 0.9');
  assert.equal(p.shouldPrune({ number: 3, values: [0.1, 0.9] }, peers), false, 'at the median');
  assert.equal(p.shouldPrune({ number: 3, values: [0.1, 0.85] }, peers.slice(0, 1)), false, 'start-up');
  assert.equal(p.shouldPrune({ number: 3, values: [0.1, 0.85] }, peers.map((x) => ({ ...x, state: 'running' as const }))), false, 'only completed trials count');
});

test('hyperband: brackets, rungs and shares follow Hyperband for R = 9, η = 3', () => {
  const h = { minEpochs: 1, maxEpochs: 9, eta: 3 };
  assert.equal(bracketCount(h), 3);
  assert.deepEqual([0, 1, 2].map((b) => rungEpochs(h, b)), [[1, 3], [3], []]);
  assert.deepEqual(bracketWeights(h), [9, 5, 3]);
  const counts = [0, 0, 0];
  for (let n = 0; n < 17; n++) counts[bracketOf(h, n)]++;
  assert.deepEqual(counts, [9, 5, 3], 'one round deals the paper\'s numbers');
  assert.deepEqual(new Set(Array.from({ length: 4 }, (_, n) => bracketOf(h, n))).size >= 2, true, 'a short study sees several brackets');
});

test('hyperband over the 30-epoch recipe: rungs start at epoch 2, not inside the warm-up epoch; one round is 17 trials', () => {
  const spec = makeStrategy('hyperband', { space: parseSpace({ lr: { type: 'loguniform', low: 1e-4, high: 1e-2 }, epochs: 30 }), seed: 0, trials: 17, epochs: 30, pruner: 'median' }).prunerSpec;
  assert.deepEqual(spec, { kind: 'hyperband', minEpochs: 2, maxEpochs: 30, eta: 3 });
  const h = spec as { minEpochs: number; maxEpochs: number; eta: number };
  assert.deepEqual([0, 1, 2].map((b) => rungEpochs(h, b)), [[2, 6, 18], [6, 18], [18]]);
  assert.deepEqual(bracketWeights(h), [9, 5, 3]);
  const nine = makeStrategy('hyperband', { space: parseSpace({ lr: { type: 'loguniform', low: 1e-4, high: 1e-2 }, epochs: 9 }), seed: 0, trials: 17, epochs: 9, pruner: 'median' }).prunerSpec;
  assert.deepEqual(nine, { kind: 'hyperband', minEpochs: 1, maxEpochs: 9, eta: 3 }, 'short budgets keep epoch 1 as the first rung');
});

test('hyperband pruner keeps the top 1/η of a bracket at a rung, and never prunes off-rung', () => {
  const h = { minEpochs: 1, maxEpochs: 9, eta: 3 };
  const pruner = new HyperbandPruner(h);
  const inBracket0 = Array.from({ length: 40 }, (_, n) => n).filter((n) => bracketOf(h, n) === 0);
  const [me, ...others] = inBracket0;
  const peers: PeerCurve[] = others.slice(0, 5).map((number, i) => ({ number, state: 'running', values: [0.5 + 0.1 * i] })); // 0.5 … 0.9
  // 6 trials at epoch 1 → keep top 2 (0.9, 0.8).
  assert.equal(pruner.shouldPrune({ number: me, values: [0.85] }, peers), false);
  assert.equal(pruner.shouldPrune({ number: me, values: [0.75] }, peers), true);
  assert.equal(pruner.shouldPrune({ number: me, values: [0.75, 0.1] }, peers), false, 'epoch 2 is not a rung');
  assert.equal(pruner.shouldPrune({ number: me, values: [0.1] }, []), false, 'the first to reach a rung continues');
});

test('hyperband: spends far fewer epochs than full training and still finds a good configuration', () => {
  const hb = simulate(makeStrategy('hyperband', opts(34)), 34);
  const full = simulate(makeStrategy('random', opts(34)), 34);
  assert.ok(hb.epochsSpent < full.epochsSpent * 0.6, `epochs ${hb.epochsSpent} vs ${full.epochsSpent}`);
  assert.ok(best(hb.views) >= best(full.views) - 0.01, `best ${best(hb.views)} vs ${best(full.views)}`);
});

test('strategy errors are one line naming the problem', () => {
  assert.throws(() => makeStrategy('grid', opts(5)), /unknown strategy 'grid': use one of random, tpe, hyperband/);
  const searchedEpochs = parseSpace({ lr: { type: 'loguniform', low: 1e-4, high: 1e-2 }, epochs: { type: 'int', low: 1, high: 9 } });
  assert.throws(() => makeStrategy('hyperband', { ...opts(5), space: searchedEpochs }), /hyperband: 'epochs' is its budget/);
  assert.throws(() => makeStrategy('hyperband', { ...opts(5), epochs: 2 }), /leaves nothing to halve/);
});
