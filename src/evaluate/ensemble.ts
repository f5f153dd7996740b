/**
 * `fmnist ensemble`: the test accuracy of several saved runs and of their ensemble, the average of
 * their class probabilities (each model with its own input scaling; optionally each with flip TTA).
 */
import { NUM_CLASSES } from '../data/source.ts';
import type { FashionMnist } from '../data/dataset.ts';
import { normalizationFor } from '../data/preprocess.ts';
import { loadModel, readModelMetadata } from '../store/model_io.ts';
import { UserError } from '../util/errors.ts';
import { lossAndAccuracy, predictProbabilities } from '../models/predict.ts';

export interface EnsembleMember { model: string; accuracy: number; loss: number }
export interface EnsembleReport {
  split: 'test';
  tta: boolean;
  count: number;
  members: EnsembleMember[];
  ensemble: { accuracy: number; loss: number };
}

/** The mean of equally shaped probability arrays. */
export function meanProbabilities(all: Float32Array[]): Float32Array {
  const out = new Float32Array(all[0].length);
  for (const p of all) for (let i = 0; i < out.length; i++) out[i] += p[i];
  for (let i = 0; i < out.length; i++) out[i] /= all.length;
  return out;
}

export async function evaluateEnsemble(dirs: string[], data: FashionMnist, o: { tta?: boolean } = {}): Promise<EnsembleReport> {
  if (dirs.length < 1) throw new UserError('ensemble: name at least one saved run');
  const indices = Int32Array.from({ length: data.test.count }, (_, i) => i);
  const members: EnsembleMember[] = [];
  const probs: Float32Array[] = [];
  for (const dir of dirs) {
    const model = await loadModel(dir);
    try {
      const classes = model.outputs[0].shape[1];
      if (classes !== NUM_CLASSES) throw new UserError(`${dir}: the model has ${classes} outputs, not the ${NUM_CLASSES} Fashion-MNIST classes`);
      const p = predictProbabilities(model, data.test.images, indices, normalizationFor(readModelMetadata(dir), data.train.images), { tta: o.tta });
      probs.push(p);
      const m = lossAndAccuracy(p, data.test.labels, indices);
      members.push({ model: dir, accuracy: m.acc, loss: m.loss });
    } finally {
      model.dispose();
    }
  }
  const ens = lossAndAccuracy(meanProbabilities(probs), data.test.labels, indices);
  return { split: 'test', tta: Boolean(o.tta), count: indices.length, members, ensemble: { accuracy: ens.acc, loss: ens.loss } };
}

export function formatEnsemble(r: EnsembleReport): string {
  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
  return [
    ...r.members.map((m) => `${pct(m.accuracy).padStart(7)}  loss ${m.loss.toFixed(4)}  ${m.model}`),
    `${pct(r.ensemble.accuracy).padStart(7)}  loss ${r.ensemble.loss.toFixed(4)}  ensemble of ${r.members.length} (mean probabilities, ${r.count} test images${r.tta ? ', flip TTA' : ''})`,
  ].join('\n');
}
