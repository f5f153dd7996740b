/** Named recipes: each is a valid config, they merge as defaults ← recipe ← file ← flags, and a run records its recipe. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeConfig, parseTrainConfig } from './config.ts';
import { RECIPES, recipeSettings } from './recipes.ts';

test('every recipe is a valid config; lenet5 is the defaults', () => {
  for (const name of Object.keys(RECIPES)) assert.equal(parseTrainConfig(recipeSettings(name)).recipe, name);
  assert.deepEqual({ ...parseTrainConfig(recipeSettings('lenet5')), recipe: null }, parseTrainConfig({}));
  assert.equal(parseTrainConfig(recipeSettings('fast')).model, 'resnet9_s');
  assert.throws(() => recipeSettings('fastest'), /unknown recipe 'fastest': choose one of lenet5, fast, best/);
});

test('defaults ← recipe ← config file ← flags', () => {
  const c = mergeConfig({ origin: 'recipe fast', settings: recipeSettings('fast') }, { origin: 'c.json', settings: { lr: 0.2 } }, { origin: 'flags', settings: { epochs: 3 } });
  assert.equal(c.lr, 0.2, 'the file beats the recipe');
  assert.equal(c.epochs, 3, 'a flag beats both');
  assert.equal(c.optimizer, 'sgd', 'the recipe beats the defaults');
  assert.equal(c.patience, 0, 'what none sets is the default');
});

test('fmnist train --recipe records the recipe and its resolved settings in run.json; a flag overrides it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmnist-recipe-'));
  const db = join(dir, 'runs.db');
  const cfgFile = join(dir, 'c.json');
  writeFileSync(cfgFile, JSON.stringify({ lr: 0.02 }));
  const out = join(dir, 'run');
  const r = spawnSync(process.execPath, ['bin/fmnist.js', '--backend', 'wasm', '--json', 'train', '--recipe', 'fast', '--config', cfgFile, '--model', 'resnet9_xs', '--limit', '40', '--epochs', '1', '--out', out], { encoding: 'utf8', env: { ...process.env, FMNIST_DB: db } });
  assert.equal(r.status, 0, r.stderr);
  const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  assert.equal(run.config.recipe, 'fast');
  assert.equal(run.config.model, 'resnet9_xs');
  assert.equal(run.config.lr, 0.02);
  assert.equal(run.config.ema, RECIPES.fast.settings.ema);
  assert.equal(run.config.erasing, RECIPES.fast.settings.erasing);
  const bad = spawnSync(process.execPath, ['bin/fmnist.js', 'train', '--recipe', 'nope', '--out', join(dir, 'x')], { encoding: 'utf8', env: { ...process.env, FMNIST_DB: db } });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown recipe 'nope'/);
  rmSync(dir, { recursive: true });
});
