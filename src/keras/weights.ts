/**
 * Loading a Keras HDF5 weights file (or the weights of a full-model file) into a tfjs model, by
 * layer name, with shape checks — what Keras' `load_weights(..., by_name=True)` does, but strict:
 * every model layer that has weights must find them in the file, and the first problem (a missing
 * layer, a different number of weights, a different shape) is refused in one line that names the
 * layer and both shapes.
 *
 * Within a layer, weights pair up by their own names (`kernel`, `bias`, `gamma`, `moving_mean`, …,
 * ignoring Keras' `:0` and any model-name prefix) when those are unambiguous, else by order, as
 * Keras does. Keras and tfjs store kernels alike (HWIO for convolutions, [in, out] for dense), so
 * values are copied as they are.
 */
import * as tf from '@tensorflow/tfjs';
import { basename } from 'node:path';
import { UserError } from '../util/errors.ts';
import { withKerasH5, type KerasH5, type KerasLayerWeights, type KerasWeight } from './h5/read.ts';

export interface LoadWeightsOptions {
  /** Allow model layers with weights that the file lacks (they keep their current values). */
  allowMissing?: boolean;
}

export interface LoadWeightsReport {
  file: string;
  kerasVersion: string | null;
  /** Model layers that received weights. */
  layers: number;
  /** Weight tensors assigned. */
  assigned: number;
  /** Weight tensors in the file (over all layers). */
  tensors: number;
  /** Numbers assigned. */
  values: number;
  /** Layers of the file with weights that the model does not have (e.g. the top of a with-top file). */
  unusedFileLayers: string[];
  /** Model layers left as they were (only with allowMissing). */
  missing: string[];
}

/** `conv1/kernel:0`, `sequential_1/dense_3/kernel`, `dense_3/kernel` → `kernel`. */
export function weightKey(name: string): string {
  const parts = name.replace(/:\d+$/, '').split('/');
  return parts[parts.length - 1];
}

/** `conv1/kernel:0` → `conv1/kernel`; Keras 3 `sequential_1/dense_3/kernel` → `dense_3/kernel`. */
function weightPathKey(name: string): string {
  const parts = name.replace(/:\d+$/, '').split('/');
  return parts.slice(-2).join('/');
}

const shapeText = (s: readonly (number | null)[]) => `[${s.join(', ')}]`;
const squeeze = (s: readonly number[]) => s.filter((d) => d !== 1);
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** Pair a layer's model variables with the file's weights: by name when unambiguous, else by order. */
function pairWeights(vars: tf.LayerVariable[], file: KerasWeight[]): [tf.LayerVariable, KerasWeight][] {
  for (const key of [weightPathKey, weightKey]) {
    const byKey = new Map<string, KerasWeight[]>();
    for (const w of file) byKey.set(key(w.name), [...(byKey.get(key(w.name)) ?? []), w]);
    const pairs: [tf.LayerVariable, KerasWeight][] = [];
    for (const v of vars) {
      const hit = byKey.get(key(v.originalName));
      if (!hit || hit.length !== 1) break;
      pairs.push([v, hit[0]]);
    }
    if (pairs.length === vars.length && new Set(pairs.map((p) => p[1])).size === vars.length) return pairs;
  }
  return vars.map((v, i) => [v, file[i]]);
}

/** The file layer for a model layer: same name, or — for Keras' automatic names only (`normalization` vs `normalization_1`) — the single unclaimed one of the same kind. */
function findFileLayer(name: string, byName: Map<string, KerasLayerWeights>, unclaimed: Set<string>): KerasLayerWeights | undefined {
  const exact = byName.get(name);
  if (exact) return exact;
  const base = name.replace(/_\d+$/, '');
  // Only EfficientNet's stem layers, whose names Keras numbers per session (`normalization_1`, …).
  if (base !== 'normalization') return undefined;
  const candidates = [...unclaimed].filter((n) => n.replace(/_\d+$/, '') === base);
  return candidates.length === 1 ? byName.get(candidates[0]) : undefined;
}

/** The layers of a model that own weights directly (a nested model counts as one layer, as in Keras files). */
function layersWithWeights(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((l) => l.weights.length > 0);
}

/** Assign the weights of an opened Keras HDF5 file to `model`. */
export function assignKerasWeights(model: tf.LayersModel, h: KerasH5, opts: LoadWeightsOptions = {}): LoadWeightsReport {
  const file = basename(h.path);
  const fileLayers = h.layers.filter((l) => l.weights.length > 0);
  const byName = new Map(fileLayers.map((l) => [l.name, l]));
  const unclaimed = new Set(fileLayers.filter((l) => !model.layers.some((m) => m.name === l.name)).map((l) => l.name));
  const plan: [tf.LayerVariable, KerasWeight][] = [];
  const missing: string[] = [];
  let layers = 0;
  for (const layer of layersWithWeights(model)) {
    const fl = findFileLayer(layer.name, byName, unclaimed);
    if (!fl) {
      if (opts.allowMissing) { missing.push(layer.name); continue; }
      const have = fileLayers.slice(0, 4).map((l) => l.name).join(', ');
      throw new UserError(`${file}: no weights for layer '${layer.name}' of ${model.name} (the file's layers with weights begin ${have || '(none)'}${fileLayers.length > 4 ? ', …' : ''}: is it for another architecture?)`);
    }
    unclaimed.delete(fl.name);
    const vars = layer.weights;
    if (fl.weights.length !== vars.length) {
      throw new UserError(`${file}: layer '${layer.name}' has ${vars.length} weights (${vars.map((v) => weightKey(v.originalName)).join(', ')}) but the file has ${fl.weights.length} (${fl.weights.map((w) => weightKey(w.name)).join(', ') || 'none'})`);
    }
    for (const [v, w] of pairWeights(vars, fl.weights)) {
      const want = v.shape as number[];
      if (!sameShape(want, w.shape) && !(sameShape(squeeze(want), squeeze(w.shape)))) {
        throw new UserError(`${file}: layer '${layer.name}' weight '${weightKey(v.originalName)}': the file has shape ${shapeText(w.shape)}, the model ${shapeText(want)}`);
      }
      plan.push([v, w]);
    }
    layers++;
  }
  // Everything checked: now read and assign.
  let values = 0;
  for (const [v, w] of plan) {
    const data = w.read();
    const t = tf.tensor(data, v.shape as number[], 'float32');
    const c = v.dtype === 'float32' ? t : tf.cast(t, v.dtype);
    v.write(c);
    tf.dispose([t, c]);
    values += data.length;
  }
  return {
    file: h.path,
    kerasVersion: h.kerasVersion,
    layers,
    assigned: plan.length,
    tensors: fileLayers.reduce((s, l) => s + l.weights.length, 0),
    values,
    unusedFileLayers: [...unclaimed],
    missing,
  };
}

/** Load a Keras HDF5 weights (or full-model) file into `model` by layer name. */
export async function loadKerasWeights(model: tf.LayersModel, path: string, opts: LoadWeightsOptions = {}): Promise<LoadWeightsReport> {
  return withKerasH5(path, (h) => assignKerasWeights(model, h, opts));
}
