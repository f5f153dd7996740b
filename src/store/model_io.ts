/**
 * Saving and loading tfjs layers models as files (model.json + weights.bin, the standard tfjs
 * layers format that `tf.loadLayersModel` reads over http or file), without tfjs-node.
 * Both files are written atomically; model.json is written last so a reader never sees a
 * model.json that points at missing or partial weights.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import { registerKerasLayers } from '../keras/layers.ts';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

function concatWeightData(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  if (!Array.isArray(data)) return new Uint8Array(data);
  return Buffer.concat(data.map((b) => new Uint8Array(b)));
}

/** An IOHandler that writes `dir/model.json` and `dir/weights.bin`. */
export function fileSaveHandler(dir: string, metadata?: Record<string, unknown>): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const weights = artifacts.weightData ? concatWeightData(artifacts.weightData as ArrayBuffer | ArrayBuffer[]) : new Uint8Array(0);
      writeFileAtomic(join(dir, WEIGHTS_FILE), weights);
      const modelJson = {
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(metadata || artifacts.userDefinedMetadata ? { userDefinedMetadata: { ...(artifacts.userDefinedMetadata ?? {}), ...(metadata ?? {}) } } : {}),
      };
      writeJsonAtomic(join(dir, MODEL_FILE), modelJson);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.length } };
    },
  };
}

/**
 * Read a tfjs layers model.json and its weight files from disk (tfjs has no file:// loader
 * without tfjs-node). Also reads what tensorflowjs_converter writes.
 */
export function readLayersModelArtifacts(jsonPath: string): tf.io.ModelArtifacts {
  let json: { modelTopology?: object; weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]; format?: string; generatedBy?: string; convertedBy?: string; userDefinedMetadata?: Record<string, unknown>; trainingConfig?: tf.io.TrainingConfig };
  try {
    json = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (err) {
    throw new UserError(`${jsonPath}: cannot read a model.json (${(err as Error).message})`);
  }
  if (json.format === 'graph-model') throw new UserError(`${jsonPath}: a tfjs graph model has no layers to load, cut or train; use a layers model`);
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) throw new UserError(`${jsonPath}: not a tfjs layers model (no modelTopology/weightsManifest)`);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const wp = join(dirname(jsonPath), p);
      if (!existsSync(wp)) throw new UserError(`${wp}: weights file named in ${basename(jsonPath)} is missing`);
      buffers.push(readFileSync(wp));
    }
  }
  const all = Buffer.concat(buffers);
  return {
    modelTopology: json.modelTopology,
    weightSpecs: specs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    userDefinedMetadata: json.userDefinedMetadata as tf.io.ModelArtifacts['userDefinedMetadata'],
    trainingConfig: json.trainingConfig,
  };
}

/** An IOHandler that reads a model folder written by fileSaveHandler (or by tensorflowjs_converter). */
export function fileLoadHandler(dir: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const path = join(dir, MODEL_FILE);
      if (!existsSync(path)) throw new UserError(`${dir}: no ${MODEL_FILE} here; pass a folder written by 'fmnist train' or 'fmnist import'`);
      return readLayersModelArtifacts(path);
    },
  };
}

export async function saveModel(model: tf.LayersModel, dir: string, metadata?: Record<string, unknown>): Promise<void> {
  await model.save(fileSaveHandler(dir, metadata));
}

export async function loadModel(dir: string): Promise<tf.LayersModel> {
  // Imported Keras models may use our custom layers (Normalization, Rescaling, …).
  registerKerasLayers();
  try {
    return await tf.loadLayersModel(fileLoadHandler(dir));
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${dir}: cannot load the model (${(err as Error).message})`);
  }
}

/** The userDefinedMetadata of a saved model (e.g. input scaling), without loading weights. */
export function readModelMetadata(dir: string): Record<string, unknown> {
  const path = join(dir, MODEL_FILE);
  if (!existsSync(path)) throw new UserError(`${dir}: no ${MODEL_FILE} here; pass a folder written by 'fmnist train' or 'fmnist import'`);
  try {
    return (JSON.parse(readFileSync(path, 'utf8')).userDefinedMetadata ?? {}) as Record<string, unknown>;
  } catch (err) {
    throw new UserError(`${path}: not valid JSON (${(err as Error).message})`);
  }
}
