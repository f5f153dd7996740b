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
 *
 * How the bytes reach the disk: h5wasm's Node build runs HDF5 on Emscripten's NODERAWFS, so HDF5
 * writes the real file itself with fs.writeSync — and when that fails (ENOSPC, EROFS, …) it only
 * prints an error stack and goes on, leaving a short file behind a "successful" close. So HDF5
 * never writes the target: it writes a scratch file in a private temp folder, whatever it printed
 * is checked (an error there is an error here), and the bytes then go through our atomic write
 * (`writeFileAtomic`: a temp file beside the target, fsync, read back with our reader and compared
 * with what was meant to be written, rename). A full disk or a read-only folder is thrown as a
 * plain errno error naming the target, and no file appears at the target path.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../../util/atomic.ts';
import { UserError } from '../../util/errors.ts';
import { h5wasm, hdf5Failure, openKerasH5With, takeHdf5Diagnostics } from './read.ts';

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
  const lib = await h5wasm();
  const scratchDir = mkdtempSync(join(tmpdir(), 'fmnist-h5-'));
  const scratch = join(scratchDir, 'model.h5');
  try {
    takeHdf5Diagnostics();
    let f: InstanceType<typeof lib.File> | undefined;
    try {
      f = new lib.File(scratch, 'w');
      if (c.modelConfig) {
        f.create_attribute('keras_version', c.kerasVersion);
        f.create_attribute('backend', c.backend ?? 'tensorflow');
        f.create_attribute('model_config', JSON.stringify(c.modelConfig));
        if (c.trainingConfig) f.create_attribute('training_config', JSON.stringify(c.trainingConfig));
        writeLayers(f.create_group('model_weights'), c);
      } else {
        writeLayers(f as H5Group, c);
      }
    } catch (err) {
      // h5wasm's own message for a failed HDF5 call is meaningless ("name not defined!"): HDF5's is the one.
      throw hdf5Failure(takeHdf5Diagnostics(), scratch, 'writing HDF5') ?? err;
    } finally {
      try { f?.close(); } catch { /* already closed or never opened */ }
    }
    const failed = hdf5Failure(takeHdf5Diagnostics(), scratch, 'writing HDF5');
    if (failed) throw failed;
    writeFileAtomic(target, readFileSync(scratch), { check: (tmp) => verifyKerasH5(lib, tmp, target, c) });
  } finally {
    rmSync(scratchDir, { recursive: true, force: true });
  }
}

type H5Module = Awaited<ReturnType<typeof h5wasm>>;

const sameValues = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]) || v === b[i]);

/** Read `file` back with our reader: every layer, weight name, shape and value as `c` has them. */
export function verifyKerasH5(lib: H5Module, file: string, target: string, c: KerasH5Contents): void {
  const bad = (what: string) => new UserError(`${target}: the written file does not read back as written (${what}); nothing was written — try again, or write somewhere else`);
  let h;
  try {
    h = openKerasH5With(lib, file);
  } catch (err) {
    throw bad(err instanceof Error ? err.message.replace(`${file}: `, '') : String(err));
  }
  try {
    if (Boolean(h.modelConfig) !== Boolean(c.modelConfig)) throw bad('model_config');
    if (h.layers.length !== c.layers.length) throw bad(`${h.layers.length} layers instead of ${c.layers.length}`);
    c.layers.forEach((layer, i) => {
      const got = h.layers[i];
      if (got.name !== layer.name || got.weights.length !== layer.weights.length) throw bad(`layer ${layer.name}`);
      layer.weights.forEach((w, j) => {
        const r = got.weights[j];
        if (r.name !== w.name || r.shape.join('x') !== w.shape.join('x')) throw bad(`weight ${w.name}`);
        let values: Float32Array;
        try { values = r.read(); } catch (err) { throw bad(`weight ${w.name}: ${err instanceof Error ? err.message : String(err)}`); }
        if (!sameValues(values, w.values)) throw bad(`values of ${w.name}`);
      });
    });
  } finally {
    h.close();
    takeHdf5Diagnostics();
  }
}
