/**
 * Exponential moving average of a model's weights (Polyak averaging; the EMA of Page's and
 * Jordan's fast CIFAR recipes): after each step, shadow = d·shadow + (1 − d)·weight, over every
 * weight of the model, batch-norm moving statistics included, so the averaged model is complete.
 *
 * The decay warms up as TensorFlow's ExponentialMovingAverage with num_updates does,
 * d_t = min(decay, (1 + t) / (10 + t)) at step t, so the early random weights leave the average
 * within a few hundred steps instead of ~1/(1 − decay).
 *
 * The shadow is part of the checkpoint (ema.json + ema.bin beside the model), so a resumed run
 * continues the same average bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readWeightFile } from '../store/model_io.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';

const FILES = { specs: 'ema.json', data: 'ema.bin' } as const;

/** The decay applied at step `step` (0-based count of updates before this one). */
export function emaDecay(decay: number, step: number): number {
  return Math.min(decay, (1 + step) / (10 + step));
}

export class WeightEma {
  private readonly weights: tf.LayerVariable[];
  private shadow: tf.Variable[];

  constructor(model: tf.LayersModel, readonly decay: number) {
    this.weights = model.weights;
    this.shadow = this.weights.map((w) => tf.tidy(() => w.read().clone().variable(false)));
  }

  /** Fold the current weights in, as update number `step` (0-based). */
  update(step: number): void {
    const d = emaDecay(this.decay, step);
    tf.tidy(() => {
      const keep = tf.scalar(d);
      const take = tf.scalar(1 - d);
      this.shadow.forEach((s, i) => s.assign(tf.add(tf.mul(s, keep), tf.mul(this.weights[i].read(), take))));
    });
  }

  /** The averaged values, in the order of model.weights (views: do not dispose). */
  values(): tf.Tensor[] {
    return this.shadow;
  }

  /** Run `fn` with the averaged weights in the model, then put the trained ones back. */
  async applied<T>(model: tf.LayersModel, fn: () => T | Promise<T>): Promise<T> {
    const trained = this.weights.map((w) => w.read().clone());
    model.setWeights(this.shadow);
    try {
      return await fn();
    } finally {
      model.setWeights(trained);
      tf.dispose(trained);
    }
  }

  /** Write the shadow into checkpoint folder `dir`. */
  async save(dir: string): Promise<void> {
    // By position (as model.weights orders them), named for the reader: variable names gain suffixes per process.
    const { data, specs } = await tf.io.encodeWeights(this.shadow.map((s, i) => ({ name: `${i}:${this.weights[i].originalName}`, tensor: s })));
    writeFileAtomic(join(dir, FILES.data), new Uint8Array(data as ArrayBuffer));
    writeJsonAtomic(join(dir, FILES.specs), specs);
  }

  /** Read the shadow a checkpoint folder holds (what save wrote). */
  load(dir: string): void {
    const path = join(dir, FILES.specs);
    if (!existsSync(path)) throw new UserError(`${dir}: no ${FILES.specs}: the checkpoint was made without --ema`);
    const specs = JSON.parse(readFileSync(path, 'utf8')) as tf.io.WeightsManifestEntry[];
    const map = readWeightFile(join(dir, FILES.data), specs, FILES.specs);
    if (specs.length !== this.shadow.length) throw new UserError(`${dir}/${FILES.specs}: ${specs.length} averaged weights for a model of ${this.shadow.length}`);
    specs.forEach((spec, i) => {
      const t = map[spec.name];
      if (!tf.util.arraysEqual(t.shape, this.shadow[i].shape)) throw new UserError(`${dir}/${FILES.specs}: ${spec.name} has shape [${t.shape}], the model's weight ${i} [${this.shadow[i].shape}]`);
      this.shadow[i].assign(t);
    });
    tf.dispose(Object.values(map));
  }

  dispose(): void {
    tf.dispose(this.shadow);
  }
}
