/**
 * What a run trains, and in which phases: a model of the registry (one phase, every layer), or a
 * classifier on a pretrained base (src/models/classifier.ts) whose phases follow its mode, Keras'
 * transfer-learning recipe:
 *
 *   features   head:     base frozen, the head trained on cached features of the base (epochs 1…E)
 *   finetune   head:     as above (epochs 1…headEpochs), at lr
 *              finetune: the base from `unfreeze` on trained too, at finetuneLr, its BatchNorm in
 *                        inference mode (epochs headEpochs+1…E); a fresh optimizer, as Keras
 *                        recompiles, since the trained variables changed
 *   scratch    all:      every layer from random weights, BatchNorm in training mode
 *
 * A phase is a pure function of the config and the epoch, so a resumed run re-enters the phase
 * it was in.
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config.ts';
import { IMAGE_SIZE, NUM_CLASSES } from '../data/source.ts';
import { buildClassifier, setTrainable, type Classifier } from '../models/classifier.ts';
import { buildModel } from '../models/index.ts';
import { prepareTrainee, type Trainee } from './step.ts';

export interface Phase {
  name: 'all' | 'head' | 'finetune' | 'scratch';
  /** First and last epoch of the phase (1-based, inclusive). */
  first: number;
  last: number;
  /** Peak learning rate of the phase (its schedule runs over the phase's own steps). */
  lr: number;
  /** Whether the phase trains on cached features of the frozen body (not on images). */
  features: boolean;
}

export function phasesOf(cfg: TrainConfig): Phase[] {
  if (!cfg.base) return [{ name: 'all', first: 1, last: cfg.epochs, lr: cfg.lr, features: false }];
  switch (cfg.mode) {
    case 'features':
      return [{ name: 'head', first: 1, last: cfg.epochs, lr: cfg.lr, features: true }];
    case 'scratch':
      return [{ name: 'scratch', first: 1, last: cfg.epochs, lr: cfg.lr, features: false }];
    case 'finetune': {
      const tune: Phase = { name: 'finetune', first: cfg.headEpochs + 1, last: cfg.epochs, lr: cfg.finetuneLr, features: false };
      return cfg.headEpochs > 0 ? [{ name: 'head', first: 1, last: cfg.headEpochs, lr: cfg.lr, features: true }, tune] : [tune];
    }
  }
}

export function phaseAt(phases: Phase[], epoch: number): Phase {
  return phases.find((p) => epoch >= p.first && epoch <= p.last) ?? phases[phases.length - 1];
}

export interface TrainNet {
  /** What is checkpointed and saved: image [28,28,1] → class probabilities. */
  model: tf.LayersModel;
  phases: Phase[];
  /** Set trainability for the phase and return what trainStep steps. */
  enter(phase: Phase): Trainee;
  /** Transfer runs: the classifier's views (body → features → head). */
  classifier?: Classifier;
}

export async function buildNet(cfg: TrainConfig): Promise<TrainNet> {
  const phases = phasesOf(cfg);
  if (!cfg.base) {
    const model = await buildModel(cfg.model, { dropout: cfg.dropout, seed: cfg.seed, inputShape: [IMAGE_SIZE, IMAGE_SIZE, 1], classes: NUM_CLASSES });
    return { model, phases, enter: () => prepareTrainee(model) };
  }
  const c = await buildClassifier(cfg);
  const enter = (phase: Phase): Trainee => {
    setTrainable(c, phase.name === 'scratch' ? 'scratch' : phase.name === 'finetune' ? 'finetune' : 'head', cfg.unfreeze);
    if (phase.features) return prepareTrainee(c.model, { net: c.head, forward: (x) => c.head.apply(x, { training: true }) as tf.Tensor });
    // Keras' rule for a pretrained base: call it with training=False, so its BatchNorm layers use
    // (and keep) their moving statistics even while their weights fine-tune. From scratch they
    // must learn them; `baseTraining` puts them in training mode anyway (the ablation of that mistake).
    const bodyTraining = phase.name === 'scratch' || cfg.baseTraining;
    return prepareTrainee(c.model, {
      net: c.head,
      forward: (x) => c.head.apply(c.body.apply(x, { training: bodyTraining }), { training: true }) as tf.Tensor,
    });
  };
  return { model: c.model, phases, enter, classifier: c };
}
