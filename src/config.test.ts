import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeConfig, parseTrainConfig, readConfigFile, settingsGiven } from './config.ts';

test('defaults are the documented recipe', () => {
  const c = parseTrainConfig({});
  assert.equal(c.model, 'lenet5');
  assert.equal(c.optimizer, 'adam');
  assert.equal(c.limit, null);
});

test('file then flags: flags win, undefined flags do not erase', () => {
  const c = mergeConfig({ origin: 'c.json', settings: { epochs: 7, lr: 0.01 } }, { origin: 'flags', settings: { lr: 0.5, epochs: undefined } });
  assert.equal(c.epochs, 7);
  assert.equal(c.lr, 0.5);
});

test('a bad merged value is blamed on the layer that set it: the recipe, the file over it, or the flags', () => {
  const recipe = (settings: Record<string, unknown>) => ({ origin: 'recipe best', settings });
  const file = (settings: Record<string, unknown>) => ({ origin: 'c.json', settings });
  const flags = (settings: Record<string, unknown>) => ({ origin: 'flags', settings });
  assert.throws(() => mergeConfig(recipe({ optimizer: 'sgd', lr: 0.05 }), flags({ weightDecay: -1 })), /^UserError: flags: 'weightDecay' Too small/);
  assert.throws(() => mergeConfig(recipe({ lr: -1 }), file({ epochs: 3 }), flags({})), /^UserError: recipe best: 'lr' Too small/);
  assert.throws(() => mergeConfig(recipe({ lr: -1 }), file({ lr: -2 }), flags({ lr: undefined })), /^UserError: c\.json: 'lr' Too small/);
  assert.throws(() => mergeConfig(file({ epoch: 3 }), flags({ lr: 0.1 })), /^UserError: c\.json: unknown key 'epoch'/);
  assert.throws(() => mergeConfig(file({ mode: 'scratch' }), flags({ base: 'vgg16', weights: 'imagenet' })), /^UserError: c\.json with flags: mode scratch trains from random weights/);
  assert.deepEqual(settingsGiven(recipe({ lr: 0.05 }), file({ epochs: 3 }), flags({ lr: 0.1, seed: undefined })).sort(), ['epochs', 'lr']);
});

test('unknown keys and bad values are refused in one line naming the key', () => {
  assert.throws(() => parseTrainConfig({ epoch: 3 }, 'my.json'), /: my\.json: unknown key 'epoch' \(known: model, epochs/);
  assert.throws(() => parseTrainConfig({ optimizer: 'adagrad' }), /'optimizer'/);
  assert.throws(() => parseTrainConfig({ epochs: 2.5 }), /'epochs'/);
});

test('a config file may be a plain object or a saved run.json (settings under "config")', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmnist-cfg-'));
  writeFileSync(join(dir, 'a.json'), JSON.stringify({ epochs: 3 }));
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ status: 'done', config: { epochs: 4 } }));
  writeFileSync(join(dir, 'bad.json'), '{ nope');
  writeFileSync(join(dir, 'list.json'), '[1]');
  assert.deepEqual(readConfigFile(join(dir, 'a.json')), { epochs: 3 });
  assert.deepEqual(readConfigFile(join(dir, 'run.json')), { epochs: 4 });
  assert.throws(() => readConfigFile(join(dir, 'bad.json')), /bad\.json: not valid JSON/);
  assert.throws(() => readConfigFile(join(dir, 'list.json')), /expected a JSON object/);
  assert.throws(() => readConfigFile(join(dir, 'missing.json')), /cannot read config file/);
  rmSync(dir, { recursive: true });
});

test('the model name is checked against the registry while parsing, before anything is made', async () => {
  const { MODEL_NAMES } = await import('./config.ts');
  const { MODELS } = await import('./models/index.ts');
  assert.deepEqual([...MODEL_NAMES].sort(), Object.keys(MODELS).sort(), 'MODEL_NAMES in config.ts is the registry of src/models/index.ts');
  assert.throws(() => mergeConfig({ origin: 'flags', settings: { model: 'nonsense' } }), /^UserError: flags: 'model' unknown model 'nonsense': choose one of lenet5, vgg16, /);
  for (const name of MODEL_NAMES) assert.equal(parseTrainConfig({ model: name }).model, name);
});
