/**
 * A fused Adam update for the native backend.
 *
 * tfjs' AdamOptimizer.applyGradients runs 14 kernels per variable (mul, add, square, div, sqrt…),
 * each costing ~15–25 µs of tfjs bookkeeping on top of its pass over the weights: on LeNet-5's 10
 * variables that is ~140 kernel calls, about a quarter of a training step's wall time.
 * `fusedAdamStep` does the same update with one addon call per variable (same formulas, same
 * float32 rounding of each hyper-parameter), on state and a rate its caller passes in. The
 * training loop's Adam (src/train/optimizer.ts) calls it directly, with the step's rate.
 *
 * For code that uses tfjs' own tf.train.adam (the benchmark workload, scripts/measure-native.ts),
 * `installFusedAdam` also routes AdamOptimizer.applyGradients through it: that adapter reads the
 * tfjs optimizer's own fields, rate included, and is not on the training loop's path.
 *
 * Anything unusual (another backend, non-float32 data) returns false having changed nothing, and
 * the caller runs the unfused ops. FMNIST_NATIVE_FUSED_ADAM=0 disables it.
 */
import * as tf from '@tensorflow/tfjs';
import { addon } from './addon.ts';
import { NativeBackend } from './backend.ts';

/** One variable's part in an Adam step: its value, its gradient (none: left as it is), its moments. */
export interface AdamParam {
  value: tf.Variable;
  gradient: tf.Tensor | undefined;
  m: tf.Variable;
  v: tf.Variable;
}

export interface AdamHyper {
  /** This step's learning rate. */
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** Steps taken by the fused update (tests check it ran). */
export const fusedAdamSteps = { count: 0 };

/**
 * One Adam step at rate `hyper.lr`: for each param, m, v and value updated in one native call;
 * then accBeta1 *= beta1 and accBeta2 *= beta2 (the running powers for bias correction). Returns
 * false, having changed nothing, when the active backend is not `native` or some tensor is not
 * float32 native storage.
 */
export function fusedAdamStep(params: readonly AdamParam[], accBeta1: tf.Variable, accBeta2: tf.Variable, hyper: AdamHyper): boolean {
  if (process.env.FMNIST_NATIVE_FUSED_ADAM === '0') return false;
  const backend = tf.backend();
  if (!(backend instanceof NativeBackend) || tf.getBackend() !== 'native') return false;
  const storage = (t: tf.TensorInfo): Float32Array | undefined => {
    const v = t.dtype === 'float32' ? backend.data.get(t.dataId)?.values : undefined;
    return v instanceof Float32Array ? v : undefined;
  };
  const acc1 = storage(accBeta1)?.[0];
  const acc2 = storage(accBeta2)?.[0];
  if (acc1 === undefined || acc2 === undefined) return false;
  // Everything checked before anything changes, so a fallback starts from untouched state.
  for (const { value, gradient, m, v } of params) {
    if (!storage(value) || !storage(m) || !storage(v) || (gradient && !storage(gradient))) return false;
  }

  const { lr, beta1, beta2, epsilon } = hyper;
  // tfjs turns each number into a float32 scalar tensor: Float32Array.of rounds the same way.
  // 1 - accBeta is computed by tfjs as a float32 op on the float32 accBeta.
  const h = Float32Array.of(beta1, 1 - beta1, beta2, 1 - beta2, 1 - acc1, 1 - acc2, epsilon, -lr);
  const native = addon();
  tf.tidy(() => {
    for (const { value, gradient, m, v } of params) {
      if (!gradient) continue;
      const n = value.size;
      const [wOut, mOut, vOut] = [backend.allocFloat32(n), backend.allocFloat32(n), backend.allocFloat32(n)];
      native.adam(storage(value)!, storage(gradient)!, storage(m)!, storage(v)!, wOut, mOut, vOut, h);
      const tensor = (values: Float32Array) => tf.engine().makeTensorFromTensorInfo(backend.adoptOutput([...value.shape], values), backend);
      m.assign(tensor(mOut));
      v.assign(tensor(vOut));
      value.assign(tensor(wOut));
    }
    accBeta1.assign(tf.mul(accBeta1, beta1));
    accBeta2.assign(tf.mul(accBeta2, beta2));
  });
  fusedAdamSteps.count++;
  return true;
}

// ---- the adapter for tfjs' own AdamOptimizer (tf.train.adam)

interface Slot { originalName: string; variable: tf.Variable }

/** The AdamOptimizer fields tfjs 4.22 keeps (protected or private in its typings). */
interface TfjsAdam {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: (Slot | undefined)[];
  accumulatedSecondMoment: (Slot | undefined)[];
  incrementIterations(): void;
}

type Gradients = tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[];
type ApplyGradients = (this: TfjsAdam, variableGradients: Gradients) => void;

const MARK = Symbol.for('fmnist.native.fusedAdam');

/**
 * Make tf.train.adam's optimizers use `fusedAdamStep` while `native` is the active backend
 * (patches AdamOptimizer.prototype.applyGradients once). Only for code holding a tfjs optimizer:
 * the training loop's own Adam calls fusedAdamStep itself.
 */
export function installFusedAdam(): void {
  if (process.env.FMNIST_NATIVE_FUSED_ADAM === '0') return;
  const proto = tf.AdamOptimizer.prototype as unknown as { applyGradients: ApplyGradients; [MARK]?: boolean };
  if (proto[MARK]) return;
  const original = proto.applyGradients;
  proto.applyGradients = function (this: TfjsAdam, variableGradients: Gradients): void {
    if (!fusedTfjsAdam(this, variableGradients)) original.call(this, variableGradients);
  };
  proto[MARK] = true;
}

/** A tfjs AdamOptimizer's step through fusedAdamStep; false (having changed nothing) when it declines. */
function fusedTfjsAdam(opt: TfjsAdam, variableGradients: Gradients): boolean {
  if (!(tf.backend() instanceof NativeBackend)) return false;
  const entries: { name: string; gradient: tf.Tensor | undefined }[] = Array.isArray(variableGradients)
    ? variableGradients.map((v) => ({ name: v.name, gradient: v.tensor }))
    : Object.keys(variableGradients).map((name) => ({ name, gradient: variableGradients[name] }));
  const variables = tf.engine().registeredVariables;
  if (entries.some(({ name }) => !variables[name])) return false;
  // The zero moments tfjs would create itself on a first step (so its own code, should
  // fusedAdamStep decline, sees the same state).
  entries.forEach(({ name }, i) => {
    const value = variables[name];
    opt.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
    opt.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
  });
  const params = entries.map(({ name, gradient }, i): AdamParam => ({
    value: variables[name], gradient, m: opt.accumulatedFirstMoment[i]!.variable, v: opt.accumulatedSecondMoment[i]!.variable,
  }));
  const hyper = { lr: opt.learningRate, beta1: opt.beta1, beta2: opt.beta2, epsilon: opt.epsilon };
  if (!fusedAdamStep(params, opt.accBeta1, opt.accBeta2, hyper)) return false;
  opt.incrementIterations();
  return true;
}
