/**
 * `fmnist export DIR --format keras-h5 | onnx`.
 *
 * keras-h5: a tfjs layers model → a Keras HDF5 file that Python Keras
 * loads with `keras.models.load_model(path)` (full model) or `model.load_weights(path)` (weights
 * only). The architecture is tfjs' own Keras-format JSON (what `tensorflowjs_converter` also reads
 * back); weights are stored per layer in model order, named `<layer>/<weight>:0` as Keras 2 names
 * them, which is the order Keras assigns them in.
 */
import type * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic.ts';
import { writeKerasH5, type H5LayerOut } from './h5/write.ts';
import { toOnnx, type OnnxSource } from './onnx/convert.ts';
import { decodeModel, encodeModel, type OnnxGraph, type OnnxModel } from './onnx/proto.ts';

export interface ExportOptions {
  /** Write only the weights (for `model.load_weights` on a model built in Python). */
  weightsOnly?: boolean;
}

export interface ExportReport {
  path: string;
  layers: number;
  tensors: number;
  values: number;
  weightsOnly: boolean;
}

/** The `{class_name, config}` Keras reads, from tfjs' serialisation of the model. */
export function kerasModelConfig(model: tf.LayersModel): Record<string, unknown> {
  const json = model.toJSON(null, false) as unknown as { class_name: string; config: unknown };
  return { class_name: json.class_name === 'Model' ? 'Functional' : json.class_name, config: json.config };
}

/** Every layer with its weights named as Keras names them. */
export function kerasLayers(model: tf.LayersModel): H5LayerOut[] {
  return model.layers.map((layer) => {
    const seen = new Set<string>();
    const weights = layer.weights.map((v) => {
      let name = `${v.originalName}:0`;
      if (!name.includes('/')) name = `${layer.name}/${name}`;
      for (let i = 1; seen.has(name); i++) name = `${v.originalName}_${i}:0`;
      seen.add(name);
      return { name, shape: v.shape as number[], values: v.read().dataSync() as Float32Array };
    });
    return { name: layer.name, weights };
  });
}

export async function exportKerasH5(model: tf.LayersModel, path: string, opts: ExportOptions = {}): Promise<ExportReport> {
  const { version } = await import('@tensorflow/tfjs');
  const layers = kerasLayers(model);
  await writeKerasH5(path, {
    modelConfig: opts.weightsOnly ? null : kerasModelConfig(model),
    kerasVersion: `tfjs-layers ${version['tfjs-layers'] ?? ''}`.trim(),
    backend: 'tensorflow',
    layers,
  });
  const tensors = layers.reduce((s, l) => s + l.weights.length, 0);
  const values = layers.reduce((s, l) => s + l.weights.reduce((t, w) => t + w.values.length, 0), 0);
  return { path, layers: layers.length, tensors, values, weightsOnly: Boolean(opts.weightsOnly) };
}

export interface OnnxExportReport {
  path: string;
  opset: number;
  nodes: number;
  tensors: number;
  values: number;
  input: { name: string; shape: (number | string)[] };
  output: { name: string; shape: (number | string)[] };
}

/**
 * `fmnist export DIR --format onnx`: the model as ONNX (./onnx/convert.ts says what goes in and
 * out), written as the HDF5 export is: to a temp file beside the target, read back and compared
 * weight by weight and node by node, then renamed into place.
 */
export function exportOnnx(model: tf.LayersModel, path: string, source: OnnxSource): OnnxExportReport {
  const onnx = toOnnx(model, source);
  writeFileAtomic(path, encodeModel(onnx), { check: (tmp) => verifyOnnx(readFileSync(tmp), onnx, path) });
  const { graph } = onnx;
  return {
    path,
    opset: onnx.opset,
    nodes: graph.nodes.length,
    tensors: graph.initializers.length,
    values: graph.initializers.reduce((s, t) => s + t.raw.length / (t.dataType === 'float' ? 4 : 8), 0),
    input: graph.inputs[0],
    output: graph.outputs[0],
  };
}

/** The file's model is what was meant to be written: opset, inputs, outputs, nodes, every initializer's bytes. */
export function verifyOnnx(bytes: Uint8Array, want: OnnxModel, target: string): void {
  const got = decodeModel(bytes);
  const fail = (what: string) => {
    throw new Error(`${target}: the written ONNX file differs from the model (${what}); nothing was written`);
  };
  if (got.opset !== want.opset || got.irVersion !== want.irVersion) fail('opset or IR version');
  const io = (g: OnnxGraph) => JSON.stringify([g.inputs, g.outputs]);
  if (io(got.graph) !== io(want.graph)) fail('inputs or outputs');
  const nodes = (g: OnnxGraph) => JSON.stringify(g.nodes);
  if (nodes(got.graph) !== nodes(want.graph)) fail('nodes');
  if (got.graph.initializers.length !== want.graph.initializers.length) fail('number of weights');
  got.graph.initializers.forEach((t, i) => {
    const w = want.graph.initializers[i];
    const same = t.name === w.name && t.dataType === w.dataType && t.dims.join() === w.dims.join();
    if (!same || Buffer.compare(t.raw, w.raw) !== 0) fail(`weight '${w.name}'`);
  });
}
