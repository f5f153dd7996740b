/** Test support for models (imported by tests only). */
import * as tf from '@tensorflow/tfjs';

/**
 * Data-dependent init on `x`, in one forward pass (each layer set before the layers after it see
 * its output): every BatchNormalization gets the moving mean of its own input (and one variance), and every
 * Dense kernel is scaled so that its outputs have standard deviation 1. At random init a deep
 * network's default statistics (mean 0, variance 1) shrink its activations towards zero layer after
 * layer (MobileNet's features end near 1e-18), so every output is 1/classes whatever the weights
 * or the preprocessing, and comparing two runtimes on it would prove nothing. Calibrated, the
 * probabilities spread as in a trained network.
 */
export function calibrate(model: tf.LayersModel, x: tf.Tensor): void {
  tf.tidy(() => {
    const made = new Map<number, tf.Tensor>([[model.inputs[0].id, x]]);
    const compute = (t: tf.SymbolicTensor): tf.Tensor => {
      const known = made.get(t.id);
      if (known) return known;
      const inputs = t.inputs.map(compute);
      const layer = t.sourceLayer;
      if (layer.getClassName() === 'BatchNormalization') setMovingStats(layer, inputs[0]);
      const apply = () => layer.apply(inputs.length === 1 ? inputs[0] : inputs, t.callArgs) as tf.Tensor;
      let out = apply();
      if (layer.getClassName() === 'Dense') {
        const std = tf.moments(out).variance.sqrt().dataSync()[0];
        if (std > 0) layer.setWeights(layer.getWeights().map((w) => tf.div(w, std)));
        out = apply();
      }
      made.set(t.id, out);
      return out;
    };
    compute(model.outputs[0]);
  });
}

function setMovingStats(layer: tf.layers.Layer, input: tf.Tensor): void {
  const { mean, variance: v } = tf.moments(input, [...Array(input.rank - 1).keys()]);
  // One variance for the whole layer (its channels' mean), not each channel's own: a channel nearly
  // constant over the images (1x1 maps deep down) would be divided by ~0, and the network would
  // amplify rounding chaotically (measured: 1e-7 on the input → 3e-3 on EfficientNetB0's output).
  const variance = tf.mul(tf.onesLike(v), tf.mean(v));
  const values = layer.getWeights();
  layer.setWeights(layer.weights.map((w, i) => {
    if (w.originalName.endsWith('moving_mean')) return mean;
    if (w.originalName.endsWith('moving_variance')) return variance;
    return values[i];
  }));
}
