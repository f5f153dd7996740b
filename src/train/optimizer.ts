/**
 * The training loop's optimizers, and decoupled weight decay (which tfjs lacks).
 *
 * The learning rate is an argument of every step (`minimize(loss, variables, lr)`), never state:
 * the loop computes each step's rate from the schedule and hands it down; nothing stores it in an
 * optimizer for a later read. The update rules are tfjs' own (Adam, Momentum with Nesterov,
 * RMSProp), op for op, so results are bit-identical to tf.train.adam/momentum/rmsprop at the same
 * rate; on the native backend Adam runs as one fused addon call per variable, given the rate.
 * getWeights/setWeights keep tfjs' layout ('iter', then each kind of slot for every variable, named
 * `<variable>/<slot>`), so checkpoints are interchangeable with tfjs optimizers'.
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config.ts';
import { fusedAdamStep } from '../backend/native/adam.ts';

interface Slot { name: string; variable: tf.Variable }
/** A checkpointed tensor (tfjs' NamedTensor, which its index does not export). */
export interface NamedTensor { name: string; tensor: tf.Tensor }

export abstract class TrainOptimizer {
  private steps = 0;
  /** slots[k][i]: slot kind k (e.g. Adam's m, v) of the i-th trained variable. */
  protected slots: Slot[][];

  constructor(private readonly slotKinds: readonly string[]) {
    this.slots = slotKinds.map(() => []);
  }

  /**
   * Forward `loss`, backward to `variables`, and one update of them at rate `lr`. Returns the
   * loss, for the caller to read and dispose. `variables` must come in the same order every step:
   * slots are matched to variables by position.
   */
  minimize(loss: () => tf.Scalar, variables: readonly tf.Variable[], lr: number): tf.Scalar {
    const { value, grads } = tf.variableGrads(loss, [...variables]);
    this.applyGradients(variables, variables.map((v) => grads[v.name]), lr);
    tf.dispose(grads);
    return value;
  }

  /** One update at rate `lr`; gradients[i] belongs to variables[i] (undefined: leave it). */
  applyGradients(variables: readonly tf.Variable[], gradients: readonly (tf.Tensor | undefined)[], lr: number): void {
    this.slotKinds.forEach((kind, k) => {
      variables.forEach((value, i) => {
        this.slots[k][i] ??= { name: `${value.name}/${kind}`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      });
    });
    this.update(variables, gradients, lr);
    this.steps++;
  }

  /** Steps taken (checkpointed as tfjs' 'iter'). */
  get iterations(): number {
    return this.steps;
  }

  protected abstract update(variables: readonly tf.Variable[], gradients: readonly (tf.Tensor | undefined)[], lr: number): void;

  /** The slot variable of kind k for variable i. */
  protected slot(k: number, i: number): tf.Variable {
    return this.slots[k][i].variable;
  }

  /** 'iter' (a fresh int32 scalar: the caller disposes it), then every slot, kind by kind. */
  async getWeights(): Promise<NamedTensor[]> {
    const iter = { name: 'iter', tensor: tf.scalar(this.iterations, 'int32') };
    return [iter, ...this.slots.flat().map((s) => ({ name: s.name, tensor: s.variable }))];
  }

  /** Restore what getWeights (ours or a tfjs optimizer's of the same kind) returned. */
  async setWeights(weights: NamedTensor[]): Promise<void> {
    this.steps = (await weights[0].tensor.data())[0];
    const rest = weights.slice(1);
    const perKind = rest.length / this.slotKinds.length;
    const old = this.slots.flat().map((s) => s.variable);
    this.slots = this.slotKinds.map((_, k) => rest.slice(k * perKind, (k + 1) * perKind).map((w) => ({ name: w.name, variable: w.tensor.variable(false) })));
    tf.dispose(old);
  }

  dispose(): void {
    tf.dispose(this.slots.flat().map((s) => s.variable));
    this.slots = this.slotKinds.map(() => []);
  }
}

/** Adam (Kingma & Ba), as tf.train.adam; fused into one native call per variable on `native`. */
export class Adam extends TrainOptimizer {
  /** beta1^(t+1), beta2^(t+1) after t steps (bias correction), as tfjs keeps them. */
  private readonly accBeta1: tf.Variable;
  private readonly accBeta2: tf.Variable;

  constructor(readonly beta1 = 0.9, readonly beta2 = 0.999, readonly epsilon = 1e-7) {
    super(['m', 'v']);
    this.accBeta1 = tf.tidy(() => tf.scalar(beta1).variable(false));
    this.accBeta2 = tf.tidy(() => tf.scalar(beta2).variable(false));
  }

  protected update(variables: readonly tf.Variable[], gradients: readonly (tf.Tensor | undefined)[], lr: number): void {
    const { beta1, beta2, epsilon } = this;
    const params = variables.map((value, i) => ({ value, gradient: gradients[i], m: this.slot(0, i), v: this.slot(1, i) }));
    if (fusedAdamStep(params, this.accBeta1, this.accBeta2, { lr, beta1, beta2, epsilon })) return;
    tf.tidy(() => {
      const oneMinusAccBeta1 = tf.sub(1, this.accBeta1);
      const oneMinusAccBeta2 = tf.sub(1, this.accBeta2);
      for (const { value, gradient, m, v } of params) {
        if (!gradient) continue;
        const newM = tf.add(tf.mul(m, beta1), tf.mul(gradient, 1 - beta1));
        const newV = tf.add(tf.mul(v, beta2), tf.mul(tf.square(gradient), 1 - beta2));
        const mHat = tf.div(newM, oneMinusAccBeta1);
        const vHat = tf.div(newV, oneMinusAccBeta2);
        m.assign(newM);
        v.assign(newV);
        value.assign(tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon)), -lr), value));
      }
      this.accBeta1.assign(tf.mul(this.accBeta1, beta1));
      this.accBeta2.assign(tf.mul(this.accBeta2, beta2));
    });
  }

  /**
   * Restoring, the running powers are rebuilt the way the steps built them — one float32 product
   * per step — not as tf.pow(beta, t + 1) as tfjs' AdamOptimizer.setWeights does: the power and the
   * product of t roundings differ in their last bits (e.g. beta2 after 34 steps), which moved every
   * later update by ~1e-7 relative, so a resumed run drifted from the uninterrupted one.
   */
  override async setWeights(weights: NamedTensor[]): Promise<void> {
    await super.setWeights(weights);
    tf.tidy(() => {
      this.accBeta1.assign(tf.scalar(runningPower(this.beta1, this.iterations)));
      this.accBeta2.assign(tf.scalar(runningPower(this.beta2, this.iterations)));
    });
  }

  override dispose(): void {
    super.dispose();
    tf.dispose([this.accBeta1, this.accBeta2]);
  }
}

/**
 * beta^(steps+1) as Adam's steps leave it: float32(beta), then `steps` float32 multiplications by
 * float32(beta) (tf.mul rounds each product to float32; the product of two float32 values is exact
 * in a double, so Math.fround of it is that same rounding).
 */
export function runningPower(beta: number, steps: number): number {
  const b = Math.fround(beta);
  let acc = b;
  for (let t = 0; t < steps; t++) acc = Math.fround(acc * b);
  return acc;
}

/** SGD with momentum, optionally Nesterov's, as tf.train.momentum. */
export class Momentum extends TrainOptimizer {
  constructor(readonly momentum: number, readonly nesterov: boolean) {
    super(['momentum']);
  }

  protected update(variables: readonly tf.Variable[], gradients: readonly (tf.Tensor | undefined)[], lr: number): void {
    const { momentum } = this;
    variables.forEach((value, i) => {
      const gradient = gradients[i];
      if (!gradient) return;
      const accumulation = this.slot(0, i);
      tf.tidy(() => {
        const newAccumulation = tf.add(tf.mul(momentum, accumulation), gradient);
        const step = this.nesterov ? tf.add(gradient, tf.mul(newAccumulation, momentum)) : newAccumulation;
        accumulation.assign(newAccumulation);
        value.assign(tf.add(tf.mul(-lr, step), value));
      });
    });
  }
}

/** RMSProp (uncentred), as tf.train.rmsprop. */
export class RMSProp extends TrainOptimizer {
  constructor(readonly decay: number, readonly momentum: number, readonly epsilon = 1e-7) {
    super(['rms', 'momentum']);
  }

  protected update(variables: readonly tf.Variable[], gradients: readonly (tf.Tensor | undefined)[], lr: number): void {
    const { decay, momentum, epsilon } = this;
    variables.forEach((value, i) => {
      const gradient = gradients[i];
      if (!gradient) return;
      const meanSquare = this.slot(0, i);
      const moment = this.slot(1, i);
      tf.tidy(() => {
        const newMeanSquare = tf.add(tf.mul(meanSquare, decay), tf.mul(tf.square(gradient), 1 - decay));
        const newMoment = tf.add(tf.mul(moment, momentum), tf.div(tf.mul(gradient, lr), tf.sqrt(tf.add(newMeanSquare, epsilon))));
        meanSquare.assign(newMeanSquare);
        moment.assign(newMoment);
        value.assign(tf.sub(value, newMoment));
      });
    });
  }
}

/** The configured optimizer. It holds no learning rate: each step is given its own. */
export function makeOptimizer(cfg: Pick<TrainConfig, 'optimizer' | 'momentum'>): TrainOptimizer {
  switch (cfg.optimizer) {
    case 'adam':
      return new Adam(0.9, 0.999, 1e-7);
    case 'sgd':
      return new Momentum(cfg.momentum, true);
    case 'rmsprop':
      return new RMSProp(0.9, cfg.momentum, 1e-7);
  }
}

/**
 * Decoupled weight decay (Loshchilov & Hutter 2019): w ← w·(1 − lr·λ) after the step, on
 * kernels only — biases are not decayed, as is usual.
 */
export function applyWeightDecay(kernels: tf.LayerVariable[], lr: number, weightDecay: number): void {
  if (weightDecay <= 0) return;
  const factor = 1 - lr * weightDecay;
  tf.tidy(() => {
    for (const v of kernels) v.write(tf.mul(v.read(), factor));
  });
}
