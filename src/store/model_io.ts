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
import { portableTopology } from '../keras/portable.ts';

import { MODEL_FILE, WEIGHTS_FILE } from './model_files.ts';

export { MODEL_FILE, WEIGHTS_FILE };

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
    const files: { path: string; bytes: Buffer }[] = [];
    for (const p of group.paths) {
      const wp = join(dirname(jsonPath), p);
      if (!existsSync(wp)) throw new UserError(`${wp}: weights file named in ${basename(jsonPath)} is missing`);
      files.push({ path: wp, bytes: readFileSync(wp) });
    }
    checkWeights(files, group.weights, basename(jsonPath));
    specs.push(...group.weights);
    buffers.push(...files.map((f) => f.bytes));
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

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, string: 0 };

/** Bytes one manifest entry takes in its weight file (quantized entries by their stored dtype). */
function entryBytes(w: tf.io.WeightsManifestEntry): number {
  const n = w.shape.reduce((a, b) => a * b, 1);
  return n * (BYTES[w.quantization?.dtype ?? w.dtype] ?? 4);
}

/**
 * The weight files of one manifest group against what the manifest says: their total size, and
 * every float32 value finite (a file of the right size full of garbage would otherwise evaluate to
 * "10% accuracy, loss NaN" as if nothing were wrong). Errors name the file and the weight.
 */
export function checkWeights(files: { path: string; bytes: Uint8Array }[], weights: tf.io.WeightsManifestEntry[], manifest = MODEL_FILE): void {
  const size = files.reduce((a, f) => a + f.bytes.length, 0);
  if (weights.some((w) => w.dtype === 'string')) return; // variable length: nothing to check by size
  const want = weights.reduce((a, w) => a + entryBytes(w), 0);
  const names = files.map((f) => f.path).join(', ');
  if (size !== want) {
    throw new UserError(`${names}: ${size.toLocaleString('en-US')} bytes, but ${manifest} describes ${want.toLocaleString('en-US')} (${size < want ? 'truncated' : 'too long'}: not the weights of this model); save or copy the model again`);
  }
  const all = files.length === 1 ? files[0].bytes : Buffer.concat(files.map((f) => f.bytes));
  // Which file a byte offset falls in, for the message.
  const fileAt = (offset: number) => {
    let end = 0;
    for (const f of files) { end += f.bytes.length; if (offset < end) return f.path; }
    return files[files.length - 1].path;
  };
  let offset = 0;
  for (const w of weights) {
    const bytes = entryBytes(w);
    if (w.dtype === 'float32' && !w.quantization) {
      const values = new Float32Array(all.buffer.slice(all.byteOffset + offset, all.byteOffset + offset + bytes));
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        throw new UserError(`${fileAt(offset + bad * 4)}: weight '${w.name}' holds ${values[bad]} (value ${bad} of ${values.length}): the file is damaged or was saved from a diverged training; train again or restore it`);
      }
    }
    offset += bytes;
  }
}

/**
 * Read one weight file described by `specs` (e.g. a checkpoint's optimizer.bin with its
 * optimizer.json), checked as `checkWeights` does: errors name the file, never a tfjs shape message.
 */
export function readWeightFile(path: string, specs: tf.io.WeightsManifestEntry[], manifest = 'its manifest'): tf.NamedTensorMap {
  if (!existsSync(path)) throw new UserError(`${path}: missing (named by ${manifest})`);
  const bytes = readFileSync(path);
  checkWeights([{ path, bytes }], specs, manifest);
  return tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), specs);
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

/**
 * `artifacts` of `model` with every layer written as a layer tfjs itself has (keras/portable.ts),
 * the weights of folded layers left out, so plain `tf.loadLayersModel` reads the files.
 */
function portableArtifacts(model: tf.LayersModel, artifacts: tf.io.ModelArtifacts): tf.io.ModelArtifacts {
  const p = portableTopology(model, artifacts.modelTopology as object);
  if (!p) return artifacts;
  const weightData = artifacts.weightData as ArrayBuffer | ArrayBuffer[] | undefined;
  const data = weightData ? concatWeightData(weightData) : new Uint8Array(0);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const kept: Uint8Array[] = [];
  let offset = 0;
  for (const w of artifacts.weightSpecs ?? []) {
    const bytes = entryBytes(w);
    if (!p.dropped.has(w.name)) {
      specs.push(w);
      kept.push(data.subarray(offset, offset + bytes));
    }
    offset += bytes;
  }
  const all = Buffer.concat(kept);
  const left = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  return { ...artifacts, modelTopology: p.topology, weightSpecs: specs, weightData: left };
}

export async function saveModel(model: tf.LayersModel, dir: string, metadata?: Record<string, unknown>): Promise<void> {
  const files = fileSaveHandler(dir, metadata);
  await model.save({ save: (artifacts) => files.save!(portableArtifacts(model, artifacts)) });
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
