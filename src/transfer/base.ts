/**
 * Pretrained bases for transfer learning, by name: `--base`
 *
 * - `nsfwjs:mobilenet_v2`, `nsfwjs:inception_v3` — the Keras-converted networks the nsfwjs package
 *   ships (offline), cut by default under their own head at the ImageNet feature map;
 * - `PATH/model.json` (or a folder holding one) — any tfjs layers model, e.g. one written by
 *   `fmnist import` or tensorflowjs_converter;
 *
 * and `--cut LAYER` takes the output of that layer (by name) as the base's output.
 * Keras applications with Keras' files (`--model vgg16 --weights imagenet|FILE`) are built by the
 * model registry instead.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { registerKerasLayers } from '../keras/layers.ts';
import { readLayersModelArtifacts } from '../store/model_io.ts';
import { UserError, errorMessage } from '../util/errors.ts';
import { NSFWJS_INPUT_SCALE, NSFWJS_MODELS, loadNsfwjsModel, type NsfwjsModelName } from './nsfwjs.ts';

export interface BaseModel {
  model: tf.LayersModel;
  /** What was asked for, e.g. `nsfwjs:mobilenet_v2`. */
  spec: string;
  /** The layer the base was cut at (null: the whole model). */
  cut: string | null;
  /** Input [rows, cols, channels]. */
  inputShape: (number | null)[];
  /** Pixel scaling the base expects, when known ('unit' = [0, 1], 'raw' = [0, 255]). */
  inputScale: 'raw' | 'unit' | 'standard' | null;
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

/** Load a base by `--base` spec, optionally cut at `--cut` (nsfwjs bases default to their feature map). */
export async function loadBase(spec: string, opts: { cut?: string | null } = {}): Promise<BaseModel> {
  registerKerasLayers();
  let model: tf.LayersModel;
  let cut = opts.cut ?? null;
  let inputScale: BaseModel['inputScale'] = null;
  if (spec.startsWith('nsfwjs:')) {
    const name = spec.slice('nsfwjs:'.length);
    model = await loadNsfwjsModel(name);
    if (opts.cut === undefined) cut = NSFWJS_MODELS[name as NsfwjsModelName].features;
    inputScale = NSFWJS_INPUT_SCALE;
  } else {
    let path = resolve(spec);
    if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'model.json');
    if (!existsSync(path)) throw new UserError(`base '${spec}': no such file (give nsfwjs:mobilenet_v2, nsfwjs:inception_v3, or the path of a tfjs layers model.json)`);
    const artifacts = readLayersModelArtifacts(path);
    try {
      model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
    } catch (err) {
      throw new UserError(`${path}: cannot load the model (${errorMessage(err).split('\n')[0]})`);
    }
    const scale = artifacts.userDefinedMetadata?.inputScale;
    if (scale === 'raw' || scale === 'unit' || scale === 'standard') inputScale = scale;
  }
  const base = cut ? cutModel(model, cut, spec) : model;
  return { model: base, spec, cut, inputShape: base.inputs[0].shape.slice(1), inputScale };
}
