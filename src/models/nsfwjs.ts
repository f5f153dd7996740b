/**
 * Pretrained bases that work offline: the Keras-converted MobileNetV2 and InceptionV3 that the npm
 * package `nsfwjs` (MIT) ships. Its models are tfjs *layers* models (Keras 2.2.4 topology, uint8-
 * quantised weights) bundled as CommonJS modules: `model.min.js` exports the model.json object and
 * each `group1-shardXofN.min.js` exports one weight shard as base64. They are read from the
 * installed package here and given to tfjs from memory — no fetch, no network.
 *
 * (nsfwjs' third model, `mobilenet_v2_mid`, is a graph model: it has no layers to cut or train,
 * so it is not offered.)
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserError, errorMessage } from '../util/errors.ts';

export interface NsfwjsModelInfo {
  /** Folder under nsfwjs/dist/models. */
  dir: string;
  description: string;
  /** Square input size the network was trained at. */
  inputSize: number;
  /** The layer whose output is the ImageNet-style feature map (the cut under nsfwjs' own head). */
  features: string;
}

export const NSFWJS_MODELS = {
  mobilenet_v2: { dir: 'mobilenet_v2', description: 'MobileNetV2 (alpha 1.0), Keras-converted, fine-tuned by nsfwjs', inputSize: 224, features: 'out_relu' },
  inception_v3: { dir: 'inception_v3', description: 'InceptionV3, Keras-converted, fine-tuned by nsfwjs', inputSize: 299, features: 'mixed10' },
} satisfies Record<string, NsfwjsModelInfo>;

export type NsfwjsModelName = keyof typeof NSFWJS_MODELS;

/** Inputs these models expect: RGB pixels scaled to [0, 1] (nsfwjs divides by 255). */
export const NSFWJS_INPUT_SCALE = 'unit' as const;

function packageModelsDir(): string {
  const require = createRequire(import.meta.url);
  let main: string;
  try {
    main = require.resolve('nsfwjs');
  } catch {
    throw new UserError(`the nsfwjs package is not installed (npm i -E nsfwjs@4.4.0)`);
  }
  // …/node_modules/nsfwjs/dist/cjs/index.js → …/node_modules/nsfwjs/dist/models
  let dir = dirname(main);
  while (!existsSync(join(dir, 'models', 'mobilenet_v2', 'model.min.js')) && dirname(dir) !== dir) dir = dirname(dir);
  const models = join(dir, 'models');
  if (!existsSync(models)) throw new UserError(`nsfwjs is installed at ${dirname(main)} but ships no models folder`);
  return models;
}

interface ModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/** The model.json object and the concatenated weight bytes of one bundled nsfwjs model. */
export function readNsfwjsArtifacts(name: NsfwjsModelName): tf.io.ModelArtifacts {
  const info = NSFWJS_MODELS[name];
  const dir = join(packageModelsDir(), info.dir);
  const require = createRequire(import.meta.url);
  let json: ModelJson;
  try {
    json = require(join(dir, 'model.min.js')) as ModelJson;
  } catch (err) {
    throw new UserError(`nsfwjs:${name}: cannot read ${join(dir, 'model.min.js')} (${errorMessage(err)})`);
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const shards: Buffer[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const file = join(dir, `${p}.min.js`);
      const b64 = require(file) as unknown;
      if (typeof b64 !== 'string') throw new UserError(`nsfwjs:${name}: ${file} is not a base64 weight shard`);
      shards.push(Buffer.from(b64, 'base64'));
    }
  }
  const all = Buffer.concat(shards);
  return {
    modelTopology: json.modelTopology,
    weightSpecs: specs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
    format: 'layers-model',
    generatedBy: 'keras',
    convertedBy: 'nsfwjs (tensorflowjs_converter)',
  };
}

/** Load a bundled nsfwjs model (the whole network, with nsfwjs' 5-class head). */
export async function loadNsfwjsModel(name: string): Promise<tf.LayersModel> {
  if (!(name in NSFWJS_MODELS)) throw new UserError(`unknown nsfwjs model '${name}': choose ${Object.keys(NSFWJS_MODELS).join(' or ')}`);
  return tf.loadLayersModel(tf.io.fromMemory(readNsfwjsArtifacts(name as NsfwjsModelName)));
}
