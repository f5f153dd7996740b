/**
 * `fmnist export DIR --format keras-h5`: a tfjs layers model → a Keras HDF5 file that Python Keras
 * loads with `keras.models.load_model(path)` (full model) or `model.load_weights(path)` (weights
 * only). The architecture is tfjs' own Keras-format JSON (what `tensorflowjs_converter` also reads
 * back); weights are stored per layer in model order, named `<layer>/<weight>:0` as Keras 2 names
 * them, which is the order Keras assigns them in.
 */
import type * as tf from '@tensorflow/tfjs';
import { writeKerasH5, type H5LayerOut } from './h5/write.ts';

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
