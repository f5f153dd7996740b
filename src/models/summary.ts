/** What `fmnist model info` prints: Keras' model.summary() as data. */
import type * as tf from '@tensorflow/tfjs';

export interface LayerSummary {
  name: string;
  className: string;
  /** Output shape with the batch dimension as null, e.g. [null, 7, 7, 512]; one per output. */
  outputShape: (number | null)[] | (number | null)[][];
  params: number;
  trainable: boolean;
}

export interface ModelSummary {
  name: string;
  inputShape: (number | null)[];
  outputShape: (number | null)[];
  layers: LayerSummary[];
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
}

const count = (ws: tf.LayerVariable[]) => ws.reduce((s, w) => s + w.shape.reduce((p: number, d) => p * (d as number), 1), 0);

export function modelSummary(model: tf.LayersModel): ModelSummary {
  const layers = model.layers.map((l) => {
    let outputShape: LayerSummary['outputShape'];
    try {
      outputShape = l.outputShape as LayerSummary['outputShape'];
    } catch {
      outputShape = [];
    }
    return { name: l.name, className: l.getClassName(), outputShape, params: l.countParams(), trainable: l.trainable };
  });
  const trainableParams = count(model.trainableWeights);
  const nonTrainableParams = count(model.nonTrainableWeights);
  return {
    name: model.name,
    inputShape: model.inputs[0].shape,
    outputShape: model.outputs[0].shape,
    layers,
    totalParams: trainableParams + nonTrainableParams,
    trainableParams,
    nonTrainableParams,
  };
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** Keras-style text table. */
export function formatSummary(s: ModelSummary, opts: { layers?: boolean } = {}): string {
  const lines: string[] = [`Model: "${s.name}"  input ${JSON.stringify(s.inputShape)} → output ${JSON.stringify(s.outputShape)}`];
  if (opts.layers !== false) {
    const rows = s.layers.map((l) => [`${l.name} (${l.className})`, JSON.stringify(l.outputShape).replace(/,/g, ', '), fmt(l.params)]);
    const w0 = Math.max(20, ...rows.map((r) => r[0].length));
    const w1 = Math.max(12, ...rows.map((r) => r[1].length));
    lines.push(`${'Layer (type)'.padEnd(w0)}  ${'Output shape'.padEnd(w1)}  Param #`);
    for (const r of rows) lines.push(`${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}`);
  }
  lines.push(`Total params: ${fmt(s.totalParams)}`, `Trainable params: ${fmt(s.trainableParams)}`, `Non-trainable params: ${fmt(s.nonTrainableParams)}`);
  return lines.join('\n');
}
