/**
 * Bases for transfer learning, by name (`--base`): a network that turns an image into a feature
 * map, with the input preprocessing its weights were trained with.
 *
 * - a Keras application of the registry (`vgg16`, `resnet152v2`, `efficientnetb1`, `mobilenet`, …)
 *   built without its top at the asked input size, with `weights` 'imagenet' (Keras' file, from
 *   Keras' cache, ours, or a download), a Keras HDF5 weights file, or null (random: `scratch`);
 * - `nsfwjs:mobilenet_v2`, `nsfwjs:inception_v3` — the Keras-converted networks the nsfwjs package
 *   ships (offline), cut by default under their own head at the ImageNet feature map;
 * - `PATH/model.json` (or a folder holding one) — any tfjs layers model; `PATH.h5` — any Keras
 *   full-model file (as `fmnist import` reads it).
 *
 * Models loaded from files are rebuilt at the asked input size (convolutions do not depend on it)
 * and cut by default below their classifier: at the last layer whose output is still a feature map
 * (4-D), as the nsfwjs bases are; `cut` names another layer.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { registerKerasLayers } from '../keras/layers.ts';
import { readLayersModelArtifacts } from '../store/model_io.ts';
import { UserError, errorMessage } from '../util/errors.ts';
import { PREPROCESS_MODE, weightsOf, type ImagenetFile, type PreprocessMode, type WeightsReport } from './applications.ts';
import { cachePaths } from '../keras/get_file.ts';
import { NSFWJS_MODELS, readNsfwjsArtifacts, type NsfwjsModelName } from './nsfwjs.ts';
import { MODELS, buildModel } from './index.ts';

/**
 * What the base's input pixels must be, as an affine map of pixels in [0, 1] (the classifier builds
 * it into the model): Keras' `preprocess_input` modes, plus 'unit' ([0, 1], nsfwjs and our own
 * models) and 'raw' ([0, 255]).
 */
export type BasePreprocess = PreprocessMode | 'unit' | 'raw';
export const BASE_PREPROCESS: readonly BasePreprocess[] = ['caffe', 'tf', 'torch', 'none', 'unit', 'raw'];

export interface Base {
  /** Image [size, size, channels] → feature map; layers keep their own (Keras) names. */
  model: tf.LayersModel;
  /** What was asked for, e.g. `nsfwjs:mobilenet_v2`. */
  spec: string;
  /** The layer the base was cut at (null: the whole network). */
  cut: string | null;
  /** Input [rows, cols, channels]. */
  inputShape: [number, number, number];
  preprocess: BasePreprocess;
  /** What pretrained weights were loaded (null: random). */
  weights: WeightsReport | null;
}

export interface BaseOptions {
  /** Square input size in pixels (default: the size the file was saved with, else 224). */
  inputSize?: number;
  /** 'imagenet', a Keras weights file, or null/'none' (random) — for registry architectures. */
  weights?: string | null;
  /** Cut at this layer (default: below the classifier). */
  cut?: string | null;
  /** Zero-initialise before loading weights (fast for big networks). */
  fastInit?: boolean;
}

/** The model truncated at `layer` (its output becomes the model's output). */
export function cutModel(model: tf.LayersModel, layer: string, spec = model.name): tf.LayersModel {
  let l: tf.layers.Layer;
  try {
    l = model.getLayer(layer);
  } catch {
    const names = model.layers.map((x) => x.name);
    throw new UserError(`${spec}: no layer '${layer}' to cut at (its last layers: ${names.slice(-6).join(', ')})`);
  }
  const out = l.output;
  if (Array.isArray(out)) throw new UserError(`${spec}: layer '${layer}' has several outputs; cut at a single-output layer`);
  return tf.model({ inputs: model.inputs, outputs: out, name: `${model.name}_cut_${layer}` });
}

/** The default cut: the last layer whose output is a feature map [n, h, w, c] (below any pooling, flatten or dense head). */
export function featureMapLayer(model: tf.LayersModel): string | null {
  for (let i = model.layers.length - 1; i >= 0; i--) {
    const out = model.layers[i].output;
    if (!Array.isArray(out) && out.shape.length === 4 && model.layers[i].getClassName() !== 'InputLayer') return model.layers[i].name;
  }
  return null;
}

/**
 * Keras' MobileNet file names carry the width: `mobilenet_2_5_224_tf_no_top.h5` is alpha 0.25. A
 * weights file for `mobilenet` picks the matching width, so the fixture loads without `--alpha`.
 */
export function mobilenetAlphaFromFile(path: string): number | undefined {
  const m = /^mobilenet_(\d)_(\d)_\d+_tf(_no_top)?\.h5$/.exec(basename(path));
  return m ? Number(`${m[1] === '1' && m[2] === '0' ? '1' : `0.${m[1]}${m[2]}`}`) : undefined;
}

type LayerSpec = { class_name: string; name?: string; config: Record<string, unknown> };
type Topology = { class_name?: string; config?: { layers?: LayerSpec[]; output_layers?: unknown } };

/**
 * A saved topology rebuilt for a base: its input layer resized to size×size (channels kept) and,
 * given a cut, everything after the cut layer dropped — a head that only works at the saved size
 * (e.g. AveragePooling2D(7) on a 7x7 map) must not be built at another size.
 */
function baseTopology(topology: object, size: number | undefined, cut: string | null, spec: string): object {
  if (size === undefined && cut === null) return topology;
  const t = structuredClone(topology) as { model_config?: Topology } & Topology;
  const model = t.model_config ?? t;
  // Functional: {layers, output_layers}; Sequential: {layers} (or, in old Keras, the list itself).
  const sequential = model.class_name === 'Sequential';
  const layers = Array.isArray(model.config) ? (model.config as LayerSpec[]) : model.config?.layers;
  if (!layers) throw new UserError(`${spec}: not a functional or sequential model; cannot rebuild it as a base`);
  if (size !== undefined) {
    const input = sequential ? layers[0] : layers.find((l) => l.class_name === 'InputLayer');
    const shape = (input?.config.batch_input_shape ?? input?.config.batchInputShape) as (number | null)[] | undefined;
    if (!input || !shape || shape.length !== 4) throw new UserError(`${spec}: not an image model with one [rows, cols, channels] input; cannot set its input size`);
    input.config.batch_input_shape = [null, size, size, shape[3]];
    delete input.config.batchInputShape;
  }
  if (cut !== null) {
    const at = layers.findIndex((l) => (l.name ?? l.config.name) === cut);
    if (at < 0) throw new UserError(`${spec}: no layer '${cut}' to cut at (its last layers: ${layers.slice(-6).map((l) => l.name ?? l.config.name).join(', ')})`);
    layers.splice(at + 1);
    if (!sequential) model.config!.output_layers = [[cut, 0, 0]];
  }
  return t;
}

/** Build a saved model as a base (weights of dropped layers are left out: strict false). */
async function fromArtifacts(artifacts: tf.io.ModelArtifacts, size: number | undefined, cut: string | null, spec: string): Promise<tf.LayersModel> {
  const a = { ...artifacts, modelTopology: baseTopology(artifacts.modelTopology as object, size, cut, spec) };
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(a), { strict: cut === null });
  } catch (err) {
    throw new UserError(`${spec}: cannot build the model${size ? ` at ${size}x${size}` : ''} (${errorMessage(err).split('\n')[0]})`);
  }
}

/** The default cut of a model built as saved (then disposed): the last layer with a feature map; null when it ends in one. */
function defaultCutOf(whole: tf.LayersModel, spec: string): string | null {
  const cut = featureMapLayer(whole);
  const last = whole.layers[whole.layers.length - 1].name;
  whole.dispose();
  if (!cut) throw new UserError(`${spec}: no layer outputs a feature map to cut at; give --cut LAYER`);
  return cut === last ? null : cut;
}

/** Keras' ImageNet weights file (without the top) of a seed backbone, as get_file names it. */
async function imagenetNoTopFile(name: 'vgg16' | 'resnet152v2' | 'efficientnetb1'): Promise<ImagenetFile> {
  if (name === 'vgg16') return (await import('./vgg16.ts')).vgg16ImagenetFile(false);
  if (name === 'resnet152v2') return (await import('./resnet_v2.ts')).resnetV2ImagenetFile(name, false);
  return (await import('./efficientnet.ts')).efficientnetImagenetFile(name, false);
}

/** Whether Keras' cache (or ours) already holds a seed backbone's ImageNet weights: nothing is downloaded to find out. */
export async function imagenetWeightsCached(name: 'vgg16' | 'resnet152v2' | 'efficientnetb1'): Promise<boolean> {
  const { fname } = await imagenetNoTopFile(name);
  return cachePaths(fname).some((p) => existsSync(p));
}

/** Load a base by `--base` spec. */
export async function loadBase(spec: string, opts: BaseOptions = {}): Promise<Base> {
  registerKerasLayers();
  const size = opts.inputSize;
  if (size !== undefined && !(Number.isInteger(size) && size >= 32)) throw new UserError(`--input-size must be a whole number of pixels ≥ 32, got ${size}`);
  let model: tf.LayersModel;
  let cut = opts.cut ?? null;
  let preprocess: BasePreprocess = 'unit';
  let weights: WeightsReport | null = null;
  if (spec in MODELS && !MODELS[spec].fashionNative) {
    const w = opts.weights === 'none' ? null : opts.weights ?? null;
    const alpha = spec === 'mobilenet' && w && w !== 'imagenet' ? mobilenetAlphaFromFile(w) : undefined;
    const s = size ?? 224;
    model = await buildModel(spec, { includeTop: false, pooling: null, weights: w, inputShape: [s, s, 3], fastInit: opts.fastInit && w !== null, alpha });
    preprocess = PREPROCESS_MODE[spec] ?? 'unit';
    weights = weightsOf(model) ?? null;
  } else if (spec in MODELS) {
    throw new UserError(`'${spec}' trains on 28x28 images itself: use fmnist train --model ${spec}, or give a pretrained base (vgg16, resnet152v2, efficientnetb1, mobilenet, nsfwjs:mobilenet_v2, nsfwjs:inception_v3, or a model file)`);
  } else if (spec.startsWith('nsfwjs:')) {
    const name = spec.slice('nsfwjs:'.length);
    if (!(name in NSFWJS_MODELS)) throw new UserError(`unknown nsfwjs model '${name}': choose ${Object.keys(NSFWJS_MODELS).map((n) => `nsfwjs:${n}`).join(' or ')}`);
    cut = opts.cut ?? NSFWJS_MODELS[name as NsfwjsModelName].features;
    model = await fromArtifacts(readNsfwjsArtifacts(name as NsfwjsModelName), size, cut, spec);
    preprocess = 'unit'; // nsfwjs divides by 255
    weights = { source: 'nsfwjs', path: spec, assigned: model.weights.length, tensors: model.weights.length, values: model.countParams() };
  } else {
    let path = resolve(spec);
    if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'model.json');
    if (!existsSync(path)) {
      throw new UserError(`base '${spec}': no such model or file (give ${Object.keys(MODELS).filter((n) => !MODELS[n].fashionNative).slice(0, 4).join(', ')}, …, nsfwjs:mobilenet_v2, nsfwjs:inception_v3, a tfjs model.json or a Keras .h5 model file)`);
    }
    if (/\.(h5|hdf5|keras)$/i.test(path)) {
      // Imported once as saved to find the default cut, then rebuilt at the size, up to the cut.
      const { importKerasModel } = await import('../keras/import_model.ts');
      if (cut === null) cut = defaultCutOf((await importKerasModel(path)).model, spec);
      const r = await importKerasModel(path, { topology: (t) => baseTopology(t, size, cut, spec) as typeof t });
      model = r.model;
      weights = { source: 'file', path, assigned: r.weights.assigned, tensors: r.weights.tensors, values: r.weights.values };
    } else {
      const artifacts = readLayersModelArtifacts(path);
      if (cut === null) cut = defaultCutOf(await fromArtifacts(artifacts, undefined, null, spec), spec);
      model = await fromArtifacts(artifacts, size, cut, spec);
      if (artifacts.userDefinedMetadata?.inputScale === 'raw') preprocess = 'raw';
      weights = { source: 'file', path, assigned: model.weights.length, tensors: model.weights.length, values: model.countParams() };
    }
  }
  const base = cut ? cutModel(model, cut, spec) : model;
  const shape = base.inputs[0].shape.slice(1) as number[];
  if (base.inputs.length !== 1 || shape.length !== 3) throw new UserError(`${spec}: a base needs one image input [rows, cols, channels], got [${shape.join(', ')}]`);
  if (base.outputs[0].shape.length !== 4) throw new UserError(`${spec}: the cut at '${cut}' gives a ${base.outputs[0].shape.length}-D output; cut at a feature map (4-D)`);
  return { model: base, spec, cut, inputShape: shape as [number, number, number], preprocess, weights };
}
