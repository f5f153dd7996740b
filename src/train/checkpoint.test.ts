import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseTrainConfig } from '../config.ts';
import { buildClassifier } from '../models/classifier.ts';
import { saveModel } from '../store/model_io.ts';
import { UserError } from '../util/errors.ts';
import { loadWeightsFrom } from './checkpoint.ts';

tf.env().set('PROD', true);
await tf.setBackend('cpu');

const cfg = parseTrainConfig({ base: 'efficientnetb0', mode: 'scratch', inputSize: 32, epochs: 1 });
const stats = (mean: number) => [tf.tensor1d([mean, 0.45, 0.4]), tf.tensor1d([0.05, 0.06, 0.07]), tf.scalar(100)];

test('restoring from a model saved with folded preprocessing: other weights restored, statistics checked', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ckpt-fold-'));
  try {
    const saved = (await buildClassifier(cfg)).model;
    saved.getLayer('normalization').setWeights(stats(0.5));
    await saveModel(saved, dir);
    // The rebuilt model starts from other random weights and the same statistics (what resuming rebuilds).
    const rebuilt = (await buildClassifier(cfg)).model;
    rebuilt.getLayer('normalization').setWeights(stats(0.5));
    const values = (m: tf.LayersModel, layer: string) =>
      m.getLayer(layer).getWeights().map((w) => Array.from(w.dataSync()));
    assert.notDeepEqual(values(rebuilt, 'stem_conv'), values(saved, 'stem_conv'));
    await loadWeightsFrom(dir, rebuilt);
    for (const { name } of saved.layers) assert.deepEqual(values(rebuilt, name), values(saved, name), name);
    // Other statistics than the file was saved with: refused, naming the layer.
    const other = (await buildClassifier(cfg)).model;
    other.getLayer('normalization').setWeights(stats(0.6));
    await assert.rejects(loadWeightsFrom(dir, other),
      (e: Error) => e instanceof UserError && /layer 'normalization'.*another 'offset'/.test(e.message));
    for (const m of [saved, rebuilt, other]) m.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
