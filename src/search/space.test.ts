import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTrainConfig } from '../config.ts';
import { Rng } from '../util/rng.ts';
import { defaultSpace, parseSpace, readSpaceFile, samplePrior, trialConfigInput } from './space.ts';

test('the default LeNet-5 space is valid and every draw makes a valid config', () => {
  const space = parseSpace(defaultSpace(9), 'default space');
  assert.deepEqual(space.fixed, { epochs: 9 });
  assert.deepEqual(space.params.map((p) => p.key), ['augmentFlip', 'augmentShift', 'batchSize', 'dropout', 'labelSmoothing', 'lr', 'optimizer', 'weightDecay']);
  const rng = new Rng(3);
  for (let i = 0; i < 200; i++) {
    const params = Object.fromEntries(space.params.map((p) => [p.key, samplePrior(p.dist, rng)]));
    const cfg = parseTrainConfig(trialConfigInput({ seed: 5 }, space, params));
    assert.ok(Number.isInteger(cfg.augmentShift) && cfg.augmentShift >= 0 && cfg.augmentShift <= 2);
    assert.equal(cfg.epochs, 9);
    assert.equal(cfg.seed, 5);
  }
});

test('int draws cover both ends evenly', () => {
  const space = parseSpace({ augmentShift: { type: 'int', low: 0, high: 2 } });
  const rng = new Rng(1);
  const n = [0, 0, 0];
  for (let i = 0; i < 3000; i++) n[samplePrior(space.params[0].dist, rng) as number]++;
  assert.ok(n.every((c) => c > 900 && c < 1100), `counts ${n}`);
});

test('invalid spaces are refused with one line naming the key', () => {
  const bad: [unknown, RegExp][] = [
    [{ learningRate: { type: 'uniform', low: 0, high: 1 } }, /'learningRate' is not a training setting \(known: model, epochs/],
    [{ lr: { type: 'loguniform', low: 0, high: 1 } }, /'lr': loguniform needs 'low' > 0/],
    [{ lr: { type: 'uniform', low: 0.1, high: 0.01 } }, /'lr': 'low' \(0.1\) must be below 'high' \(0.01\)/],
    [{ lr: { type: 'loguniform', low: 1e-4, high: 20 } }, /'lr' .*(range value 20)/],
    [{ augmentShift: { type: 'uniform', low: 0, high: 2 } }, /'augmentShift' .*range value 0.742/],
    [{ optimizer: { type: 'choice', values: ['adam', 'lion'] } }, /'optimizer' .*choice value "lion"/],
    [{ optimizer: { type: 'choice', values: [] } }, /'optimizer': choice needs a non-empty 'values' list/],
    [{ dropout: { type: 'normal', mean: 0.2 } }, /'dropout': unknown type "normal"/],
    [{ dropout: { type: 'uniform', low: 0, high: 0.5, step: 0.1 } }, /'dropout': unknown field 'step' for type 'uniform'/],
    [{ limit: { type: 'int', low: 100, high: 200 } }, /'limit' is set by the study/],
    [{ epochs: 5 }, /nothing to search/],
    [{ epochs: 0.5, lr: { type: 'uniform', low: 0.001, high: 0.01 } }, /'epochs' .*fixed value 0.5/],
    [[1, 2], /expected a JSON object/],
  ];
  for (const [raw, re] of bad) {
    assert.throws(() => parseSpace(raw, 'space.json'), (err: Error) => {
      assert.match(err.message, re);
      assert.match(err.message, /^space.json: /);
      assert.ok(!err.message.includes('\n'), 'one line');
      return err.name === 'UserError';
    });
  }
});

test('space files: unreadable and malformed files name the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmnist-space-'));
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{ "lr": ');
  assert.throws(() => readSpaceFile(bad), new RegExp(`^UserError: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON`));
  assert.throws(() => readSpaceFile(join(dir, 'missing.json')), /missing.json: cannot read search space file/);
  const good = join(dir, 'good.json');
  writeFileSync(good, JSON.stringify({ lr: { type: 'loguniform', low: 1e-4, high: 1e-2 }, epochs: 3 }));
  assert.equal(readSpaceFile(good).params[0].key, 'lr');
  rmSync(dir, { recursive: true });
});
