/** One optimisation step, shared by the training loop and the benchmark (so both time the same work). */
import * as tf from '@tensorflow/tfjs';
import { applyWeightDecay, TrainOptimizer } from './optimizer.ts';

export interface Trainee {
  model: tf.LayersModel;
  /** What feeds the loss: a view of `model` ending at its `logits` layer when it has one. */
  net: tf.LayersModel;
  /** The training forward pass, when it is not `net` applied in training mode (transfer: base and head in different modes). */
  forward?: (x: tf.Tensor) => tf.Tensor;
  fromLogits: boolean;
  /** Trainable variables, in a fixed order (optimizers match their slots by position). */
  varList: tf.Variable[];
  /** Weight-decayed variables: kernels, not biases or batch-norm parameters. */
  kernels: tf.LayerVariable[];
}

/**
 * What trainStep steps: `model`'s trainable weights (as its layers' flags say now), and the
 * forward pass to its logits (`view`: given by a caller that splits the model, e.g. a transfer
 * classifier's body and head).
 */
export function prepareTrainee(model: tf.LayersModel, view?: { net: tf.LayersModel; forward: (x: tf.Tensor) => tf.Tensor }): Trainee {
  const logits = model.layers.find((l) => l.name === 'logits');
  const net = view?.net ?? (logits ? tf.model({ inputs: model.inputs, outputs: logits.output as tf.SymbolicTensor }) : model);
  const trainable = model.trainableWeights;
  return {
    model,
    net,
    forward: view?.forward,
    fromLogits: Boolean(logits),
    varList: trainable.map((w) => w.read() as tf.Variable),
    kernels: trainable.filter((w) => /kernel/.test(w.name)),
  };
}

/**
 * Forward, loss (softmax cross-entropy with label smoothing), backward, optimizer update at rate
 * `o.lr`, then decoupled weight decay at the same rate. Returns the batch's mean loss and its count
 * of correct predictions, as scalars the caller reads and disposes.
 * The optimizer is ours (makeOptimizer): it takes the step's rate as an argument, so the schedule's
 * rate reaches the update (and the native fused Adam) by one explicit path. A plain tfjs optimizer
 * (the reference in optimizer.test.ts) steps at the rate it was made with, so it must equal `o.lr`.
 */
export function trainStep(t: Trainee, optimizer: TrainOptimizer | tf.Optimizer, x: tf.Tensor, y: tf.Tensor2D, o: { lr: number; labelSmoothing: number; weightDecay: number }): { loss: tf.Scalar; correct: tf.Scalar } {
  const classes = y.shape[1];
  let correct: tf.Scalar | undefined;
  const lossFn = (): tf.Scalar => {
    const out = (t.forward ? t.forward(x) : t.net.apply(x, { training: true })) as tf.Tensor2D;
    correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(out, 1), tf.argMax(y, 1)), 'float32'))) as tf.Scalar;
    if (t.fromLogits) return tf.losses.softmaxCrossEntropy(y, out, undefined, o.labelSmoothing) as tf.Scalar;
    const smoothed = tf.add(tf.mul(y, 1 - o.labelSmoothing), o.labelSmoothing / classes);
    return tf.neg(tf.mean(tf.sum(tf.mul(smoothed, tf.log(tf.add(out, 1e-7))), 1))) as tf.Scalar;
  };
  const loss = tf.tidy(() => {
    if (optimizer instanceof TrainOptimizer) return optimizer.minimize(lossFn, t.varList, o.lr);
    const made = optimizer.getConfig().learningRate;
    if (made !== o.lr) throw new Error(`trainStep: this ${optimizer.getClassName()} optimizer steps at its own rate ${made}, not ${o.lr}: use makeOptimizer`);
    return optimizer.minimize(lossFn, true, t.varList)!;
  });
  applyWeightDecay(t.kernels, o.lr, o.weightDecay);
  return { loss, correct: correct! };
}
