/** What `fmnist model info` shows: layers by name, output shapes, parameter counts. */
import type * as tf from '@tensorflow/tfjs';

export interface LayerSummary {
  name: string;
  className: string;
  outputShape: (number | null)[] | (number | null)[][];
  params: number;
  trainable: boolean;
}

export interface ModelSummary {
  name: string;
  layers: LayerSummary[];
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
}

const count = (ws: tf.LayerVariable[]) => ws.reduce((a, w) => a + w.shape.reduce((p, d) => p * (d ?? 1), 1), 0);

export function modelSummary(model: tf.LayersModel): ModelSummary {
  const layers = model.layers.map((l) => ({
    name: l.name,
    className: l.getClassName(),
    outputShape: l.outputShape as LayerSummary['outputShape'],
    params: l.countParams(),
    trainable: l.trainable,
  }));
  const trainableParams = count(model.trainableWeights);
  const nonTrainableParams = count(model.nonTrainableWeights);
  return { name: model.name, layers, totalParams: trainableParams + nonTrainableParams, trainableParams, nonTrainableParams };
}

export function formatSummary(s: ModelSummary): string {
  const shape = (o: LayerSummary['outputShape']) => JSON.stringify(o).replace(/null/g, 'None');
  const rows = s.layers.map((l) => `${(l.name + ` (${l.className})`).padEnd(44)} ${shape(l.outputShape).padEnd(22)} ${String(l.params).padStart(10)}`);
  return [
    `Model: ${s.name}`,
    `${'Layer (type)'.padEnd(44)} ${'Output shape'.padEnd(22)} ${'Params'.padStart(10)}`,
    ...rows,
    `Total params: ${s.totalParams.toLocaleString('en-US')}`,
    `Trainable params: ${s.trainableParams.toLocaleString('en-US')}`,
    `Non-trainable params: ${s.nonTrainableParams.toLocaleString('en-US')}`,
  ].join('\n');
}
