/**
 * Saved models in layers tfjs itself has (tfjs-layers 4.22), so plain `tf.loadLayersModel` — in
 * Node or a browser, with no code of ours registered — reads every model we save and predicts the
 * same. The models keep our Keras layers (./layers.ts) while they are built and trained (Keras'
 * names and weights, so Keras files load by name); only what is written changes, layer by layer,
 * under the same name in the same place:
 *
 *   Normalization (fixed statistics, as weights or in its config) → tfjs' Rescaling with scale
 *     1/std and offset −mean/std per feature (lists: tfjs' Rescaling multiplies and adds with
 *     broadcasting, as Keras' own Rescaling does with lists);
 *   GlobalAveragePooling2D / GlobalMaxPooling2D with keepdims → AveragePooling2D / MaxPooling2D
 *     over the whole map (its size known when saved): the same [n, 1, 1, c];
 *   activation 'silu' (Keras 3's name) → 'swish', the same function in tfjs.
 *
 * Our Rescaling needs nothing: its config is tfjs' own, and tfjs' class takes per-channel lists.
 * Store code (src/store/model_io.ts) applies this to the topology and drops the folded weights.
 */
import type * as tf from '@tensorflow/tfjs';
import { UserError } from '../util/errors.ts';
import type { Normalization, GlobalAveragePooling2D } from './layers.ts';

type Json = Record<string, unknown>;

/** A layer as it is written: a class tfjs has and that class's own config keys. */
export interface PortableLayer {
  className: string;
  config: Json;
}

type Fold = (layer: tf.layers.Layer) => PortableLayer | null;

/** The full map of a pooling layer that keeps its dims, as a plain pooling layer; null when its size is not fixed. */
const keepdimsPool = (className: string): Fold => (layer) => {
  const pool = layer as unknown as GlobalAveragePooling2D;
  if (!pool.keepdims) return null;
  type Shape = (number | null)[];
  const nodes = (layer as unknown as { inboundNodes: { inputShapes: Shape | Shape[] }[] }).inboundNodes;
  const sizes = nodes.map((n) => {
    const s = (Array.isArray(n.inputShapes[0]) ? n.inputShapes[0] : n.inputShapes) as Shape;
    return pool.dataFormat === 'channelsLast' ? [s[1], s[2]] : [s[2], s[3]];
  });
  const [h, w] = sizes[0] ?? [null, null];
  if (h === null || w === null || sizes.some(([a, b]) => a !== h || b !== w)) return null;
  return { className, config: { poolSize: [h, w], strides: [h, w], padding: 'valid', dataFormat: pool.dataFormat } };
};

const FOLDS: Record<string, Fold> = {
  Normalization: (layer) => ({ className: 'Rescaling', config: { ...(layer as unknown as Normalization).affine() } }),
  GlobalAveragePooling2D: keepdimsPool('AveragePooling2D'),
  GlobalMaxPooling2D: keepdimsPool('MaxPooling2D'),
};

/** What `layer` is written as when tfjs has no layer of its class and config; null: as it is. */
export function portableLayer(layer: tf.layers.Layer): PortableLayer | null {
  const name = layer.getClassName();
  return Object.hasOwn(FOLDS, name) ? FOLDS[name](layer) : null;
}

/** Every layer of a model by name, those of nested models too. */
function layersByName(model: tf.LayersModel, into = new Map<string, tf.layers.Layer>()): Map<string, tf.layers.Layer> {
  for (const layer of model.layers) {
    into.set(layer.name, layer);
    if ((layer as tf.LayersModel).layers) layersByName(layer as tf.LayersModel, into);
  }
  return into;
}

/** Each layer entry `{class_name, config}` of a Keras-format topology, nested models' too. */
function* layerEntries(node: Json): Generator<Json> {
  const config = (node.model_config as Json | undefined)?.config ?? node.config;
  const layers = (config as Json | undefined)?.layers;
  if (!Array.isArray(layers)) return;
  for (const entry of layers as Json[]) {
    yield entry;
    yield* layerEntries(entry);
  }
}

/** The config keys every layer has, kept from the original entry. */
const BASE_KEYS = ['name', 'trainable', 'dtype', 'batch_input_shape'];

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A tfjs config as model.json writes it (Keras' keys; data formats as 'channels_last'). */
function pythonic(config: Json): Json {
  const value = (k: string, v: unknown) => (k === 'dataFormat' ? snake(String(v)) : v);
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [snake(k), value(k, v)]));
}

export interface Portable {
  topology: Json;
  /** Names of the weights of folded layers, which the file no longer needs. */
  dropped: Set<string>;
}

/**
 * `model`'s saved topology (tfjs' `toJSON`) with every layer written as tfjs' own layers, and the
 * names of the weights no longer needed (those of folded layers); null when nothing changes.
 */
export function portableTopology(model: tf.LayersModel, topology: object): Portable | null {
  const live = layersByName(model);
  const out = structuredClone(topology) as Json;
  const dropped = new Set<string>();
  let changed = false;
  for (const entry of layerEntries(out)) {
    const config = entry.config as Json;
    const layer = live.get(config.name as string);
    const p = layer ? portableLayer(layer) : null;
    if (p && layer) {
      const base = Object.fromEntries(BASE_KEYS.filter((k) => config[k] !== undefined).map((k) => [k, config[k]]));
      entry.class_name = p.className;
      entry.config = { ...base, ...pythonic(p.config) };
      for (const w of layer.weights) dropped.add(w.originalName);
      changed = true;
    }
    if ((entry.config as Json).activation === 'silu') {
      (entry.config as Json).activation = 'swish';
      changed = true;
    }
  }
  return changed ? { topology: out, dropped } : null;
}

/**
 * Whether `saved` is `layer` as saving folds it (then it holds nothing to restore: fixed
 * preprocessing never trains). Throws when it is folded from other statistics than `layer` has:
 * weights copied from such a file would silently preprocess differently.
 */
export function isFoldOf(layer: tf.layers.Layer, saved: tf.layers.Layer): boolean {
  const p = portableLayer(layer);
  if (!p || p.className !== saved.getClassName() || saved.getClassName() === layer.getClassName()) return false;
  const config = saved.getConfig() as Json;
  for (const [k, v] of Object.entries(p.config)) {
    if (JSON.stringify(config[k]) !== JSON.stringify(v)) {
      throw new UserError(`layer '${layer.name}': the saved model holds it as a ${p.className} with another '${k}' ` +
        'than this model has (saved from other pretrained weights?); start the run anew in another folder');
    }
  }
  return true;
}
