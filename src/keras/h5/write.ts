/**
 * Writing Keras HDF5 files through h5wasm, in the layout Keras 2 (TF 2.5+) writes and every Keras
 * since reads with `load_model` / `load_weights`:
 *
 *   /                       attrs keras_version, backend[, model_config (JSON)]
 *   /model_weights          attrs layer_names (every layer, model order), keras_version, backend
 *   /model_weights/<layer>  attr  weight_names (`<layer>/kernel:0`, …; empty float64 when none)
 *   /model_weights/<layer>/<layer>/kernel:0   float32 dataset
 *
 * A weights-only file has the layer groups at the root instead of under model_weights.
 * The file is written beside its target and renamed into place (atomic).
 */
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { tempPathFor } from '../../util/atomic.ts';
import { h5wasm } from './read.ts';

export interface H5WeightOut {
  /** Keras weight name, e.g. `conv1/kernel:0`; the dataset path inside the layer group. */
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface H5LayerOut {
  name: string;
  weights: H5WeightOut[];
}

export interface KerasH5Contents {
  /** `{class_name, config}`; present for a full-model file, absent for weights only. */
  modelConfig?: Record<string, unknown> | null;
  trainingConfig?: Record<string, unknown> | null;
  kerasVersion: string;
  backend?: string;
  layers: H5LayerOut[];
}

type H5Group = import('h5wasm').Group;

function writeLayers(group: H5Group, c: KerasH5Contents): void {
  group.create_attribute('layer_names', c.layers.map((l) => l.name));
  group.create_attribute('backend', c.backend ?? 'tensorflow');
  group.create_attribute('keras_version', c.kerasVersion);
  for (const layer of c.layers) {
    const g = group.create_group(layer.name);
    if (layer.weights.length === 0) {
      // What Keras writes for a layer without weights: an empty float64 array.
      g.create_attribute('weight_names', new Float64Array(0), [0], '<d');
      continue;
    }
    g.create_attribute('weight_names', layer.weights.map((w) => w.name));
    for (const w of layer.weights) {
      const parts = w.name.split('/');
      let parent = g;
      for (const p of parts.slice(0, -1)) parent = parent.keys().includes(p) ? (parent.get(p) as H5Group) : parent.create_group(p);
      parent.create_dataset({ name: parts[parts.length - 1], data: w.values, shape: w.shape, dtype: '<f' });
    }
  }
}

/** Write a Keras HDF5 file (full model when `modelConfig` is given, else weights only). */
export async function writeKerasH5(path: string, c: KerasH5Contents): Promise<void> {
  const target = resolve(path);
  mkdirSync(dirname(target), { recursive: true });
  const tmp = tempPathFor(target);
  const lib = await h5wasm();
  const f = new lib.File(tmp, 'w');
  try {
    if (c.modelConfig) {
      f.create_attribute('keras_version', c.kerasVersion);
      f.create_attribute('backend', c.backend ?? 'tensorflow');
      f.create_attribute('model_config', JSON.stringify(c.modelConfig));
      if (c.trainingConfig) f.create_attribute('training_config', JSON.stringify(c.trainingConfig));
      writeLayers(f.create_group('model_weights'), c);
    } else {
      writeLayers(f as H5Group, c);
    }
    f.close();
    renameSync(tmp, target);
  } catch (err) {
    try { f.close(); } catch { /* already closed */ }
    rmSync(tmp, { force: true });
    throw err;
  }
}
