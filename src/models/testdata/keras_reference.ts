/** Compare a built model with the layer list taken from the Keras sources (see README.md here). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type * as tf from '@tensorflow/tfjs';
import { modelSummary } from '../summary.ts';

interface Reference {
  name: string;
  total: number;
  /** [name, Keras class, output shape, params] */
  layers: [string, string, (number | null)[], number][];
}

let cache: Record<string, Reference> | undefined;

export function kerasReference(key: string): Reference {
  cache ??= JSON.parse(readFileSync(new URL('./keras_applications.json', import.meta.url), 'utf8')) as Record<string, Reference>;
  const r = cache[key];
  if (!r) throw new Error(`no Keras reference '${key}'`);
  return r;
}

/** Same layer names in the same order, same output shapes and per-layer parameter counts, same total. */
export function assertMatchesKeras(model: tf.LayersModel, key: string): void {
  const ref = kerasReference(key);
  const s = modelSummary(model);
  assert.equal(model.name, ref.name, `${key}: model name`);
  assert.deepEqual(s.layers.map((l) => l.name), ref.layers.map((l) => l[0]), `${key}: layer names and order`);
  for (let i = 0; i < ref.layers.length; i++) {
    const [name, className, shape, params] = ref.layers[i];
    assert.equal(s.layers[i].className, className, `${key}: class of ${name}`);
    assert.deepEqual(s.layers[i].outputShape, shape, `${key}: output shape of ${name}`);
    assert.equal(s.layers[i].params, params, `${key}: parameters of ${name}`);
  }
  assert.equal(s.totalParams, ref.total, `${key}: total parameters`);
}
