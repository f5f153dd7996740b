/**
 * A fused Adam update for the native backend.
 *
 * tfjs' AdamOptimizer.applyGradients runs 14 kernels per variable (mul, add, square, div, sqrt…),
 * each costing ~15–25 µs of tfjs bookkeeping on top of its pass over the weights: on LeNet-5's 10
 * variables that is ~140 kernel calls, about a quarter of a training step's wall time. While the
 * active backend is `native`, this replaces the update with one addon call per variable (same
 * formulas, same float32 rounding of each hyper-parameter, same state variables, so getWeights,
 * setWeights, saving and dispose are unchanged); on any other backend, or for anything unusual
 * (non-float32 data, a missing gradient array), tfjs' own method runs.
 *
 * It patches AdamOptimizer.prototype once; FMNIST_NATIVE_FUSED_ADAM=0 disables it.
 */
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from './addon.ts';
import { NativeBackend } from './backend.ts';

interface Slot { originalName: string; variable: tf.Variable }

/** The AdamOptimizer fields tfjs 4.22 keeps (protected in its typings). */
interface AdamState {
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
type ApplyGradients = (this: AdamState, variableGradients: Gradients) => void;

const MARK = Symbol.for('fmnist.native.fusedAdam');

/** Steps taken by the fused update (tests check it ran). */
export const fusedAdamSteps = { count: 0 };

export function installFusedAdam(native: NativeAddon): void {
  if (process.env.FMNIST_NATIVE_FUSED_ADAM === '0') return;
  const proto = tf.AdamOptimizer.prototype as unknown as { applyGradients: ApplyGradients; [MARK]?: boolean };
  if (proto[MARK]) return;
  const original = proto.applyGradients;
  proto.applyGradients = function (this: AdamState, variableGradients: Gradients): void {
    if (!fusedApply(this, variableGradients, native)) original.call(this, variableGradients);
  };
  proto[MARK] = true;
}

/** The fused update; false (having changed nothing) when this case needs tfjs' own code. */
function fusedApply(opt: AdamState, variableGradients: Gradients, native: NativeAddon): boolean {
  const backend = tf.backend();
  if (!(backend instanceof NativeBackend) || tf.getBackend() !== 'native') return false;
  const storage = (t: tf.TensorInfo): Float32Array | undefined => {
    const v = t.dtype === 'float32' ? backend.data.get(t.dataId)?.values : undefined;
    return v instanceof Float32Array ? v : undefined;
  };
  const acc1 = storage(opt.accBeta1)?.[0];
  const acc2 = storage(opt.accBeta2)?.[0];
  if (acc1 === undefined || acc2 === undefined) return false;

  const entries: { name: string; gradient: tf.Tensor | undefined }[] = Array.isArray(variableGradients)
    ? variableGradients.map((v) => ({ name: v.name, gradient: v.tensor }))
    : Object.keys(variableGradients).map((name) => ({ name, gradient: variableGradients[name] }));
  const variables = tf.engine().registeredVariables;
  // Everything checked before anything changes, so a fallback starts from untouched state.
  for (const { name, gradient } of entries) {
    const value = variables[name];
    if (!value || !storage(value) || (gradient && !storage(gradient))) return false;
  }

  // tfjs turns each number into a float32 scalar tensor: Float32Array.of rounds the same way.
  // 1 - accBeta is computed by tfjs as a float32 op on the float32 accBeta.
  const hyper = Float32Array.of(opt.beta1, 1 - opt.beta1, opt.beta2, 1 - opt.beta2, 1 - acc1, 1 - acc2, opt.epsilon, -opt.learningRate);
  tf.tidy(() => {
    entries.forEach(({ name, gradient }, i) => {
      const value = variables[name];
      opt.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      opt.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      if (!gradient) return;
      const m = opt.accumulatedFirstMoment[i]!.variable;
      const v = opt.accumulatedSecondMoment[i]!.variable;
      const n = value.size;
      const [wOut, mOut, vOut] = [backend.allocFloat32(n), backend.allocFloat32(n), backend.allocFloat32(n)];
      native.adam(storage(value)!, storage(gradient)!, storage(m)!, storage(v)!, wOut, mOut, vOut, hyper);
      const tensor = (values: Float32Array) => tf.engine().makeTensorFromTensorInfo(backend.adoptOutput([...value.shape], values), backend);
      m.assign(tensor(mOut));
      v.assign(tensor(vOut));
      value.assign(tensor(wOut));
    });
    opt.accBeta1.assign(tf.mul(opt.accBeta1, opt.beta1));
    opt.accBeta2.assign(tf.mul(opt.accBeta2, opt.beta2));
  });
  opt.incrementIterations();
  fusedAdamSteps.count++;
  return true;
}
