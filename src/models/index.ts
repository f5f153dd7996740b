/**
 * The model registry: every architecture `fmnist` can build, by name. Builders take the same
 * options everywhere (Keras-applications style); nothing is built until asked.
 */
import type * as tf from '@tensorflow/tfjs';
import { UserError } from '../util/errors.ts';
import { lenet5 } from './lenet5.ts';
import { KERAS_APPLICATIONS } from './keras_applications.ts';
import { RESNET9_VARIANTS, resnet9 } from './resnet9.ts';

export interface BuildOptions {
  inputShape?: [number, number, number];
  classes?: number;
  includeTop?: boolean;
  pooling?: 'avg' | 'max' | null;
  weights?: string | null;
  dropout?: number;
  seed?: number;
  alpha?: number;
  /** Keras applications: activation of the top (default softmax; null for logits). */
  classifierActivation?: string | null;
  /** Zero-initialise instead of random (fast: for model info, or when weights are loaded anyway). */
  fastInit?: boolean;
}

export interface ModelEntry {
  description: string;
  /** Whether it trains from scratch on 28x28x1 (else it is an ImageNet-style base). */
  fashionNative: boolean;
  build(opts: BuildOptions): tf.LayersModel | Promise<tf.LayersModel>;
}

export const MODELS: Record<string, ModelEntry> = {
  lenet5: {
    description: 'LeNet-5: conv 6@5x5 → pool → conv 16@5x5 → pool → dense 120 → 84 → 10 (ReLU, max pool)',
    fashionNative: true,
    build: (o) => lenet5({ inputShape: o.inputShape, classes: o.classes, dropout: o.dropout, seed: o.seed }),
  },
  ...Object.fromEntries(Object.entries(RESNET9_VARIANTS).map(([name, v]) => [name, {
    description: v.description,
    fashionNative: true,
    build: (o: BuildOptions) => resnet9(v, name, { inputShape: o.inputShape, classes: o.classes, seed: o.seed }),
  }])),
  ...KERAS_APPLICATIONS,
};

export function modelEntry(name: string): ModelEntry {
  const entry = MODELS[name];
  if (!entry) throw new UserError(`unknown model '${name}': choose one of ${Object.keys(MODELS).join(', ')}`);
  return entry;
}

export async function buildModel(name: string, opts: BuildOptions = {}): Promise<tf.LayersModel> {
  return await modelEntry(name).build(opts);
}
