/**
 * Where a model looked, for "Try it" (no DOM here, so Node tests run it too).
 *
 * Grad-CAM (Selvaraju et al. 2017) on any layer graph, residual ones included: the model's graph
 * is re-run layer by layer from its own node list, with the chosen feature map's value replaced by
 * a tensor we differentiate against — so skip connections and merges are followed exactly as the
 * model computes them, not re-applied as a chain. A model without a convolution gets
 * |d score / d input| instead.
 */
import * as tf from '@tensorflow/tfjs';
import { toModelInput } from '../../data/preprocess.ts';

type Sym = tf.SymbolicTensor;
/** The parts of a tfjs-layers graph node we read (public fields of tfjs-layers' Node). */
interface GraphNode {
  inboundLayers: unknown[];
  inputTensors: Sym[];
  outputTensors: Sym[];
  callArgs?: tf.serialization.ConfigDict;
}
const nodesOf = (l: tf.layers.Layer) => (l as unknown as { inboundNodes: GraphNode[] }).inboundNodes;

const CONV = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D']);

/**
 * Run `m` on `x` by walking its layers in order (tfjs keeps a model's layers topologically
 * sorted). When `at` is given, its value is `replace` instead of what the graph computes, and
 * what the graph would have computed there is returned as `seen`.
 */
export function runGraph(
  m: tf.LayersModel,
  x: tf.Tensor,
  at?: Sym,
  replace?: tf.Tensor,
): { out: tf.Tensor; seen?: tf.Tensor } {
  const values = new Map<number, tf.Tensor>([[m.inputs[0].id, x]]);
  let seen: tf.Tensor | undefined;
  for (const layer of m.layers) {
    for (const node of nodesOf(layer)) {
      if (!node.inboundLayers.length) continue; // the input layer: fed above
      const inputs = node.inputTensors.map((t) => values.get(t.id));
      if (inputs.some((v) => v === undefined)) continue; // a node of another model sharing this layer
      const args = (node.callArgs ?? {}) as tf.serialization.ConfigDict;
      const out = layer.apply(inputs.length === 1 ? inputs[0]! : (inputs as tf.Tensor[]), args) as
        tf.Tensor | tf.Tensor[];
      (Array.isArray(out) ? out : [out]).forEach((v, i) => {
        const sym = node.outputTensors[i];
        if (at && sym.id === at.id) {
          seen = v;
          values.set(sym.id, replace ?? v);
        } else values.set(sym.id, v);
      });
    }
  }
  const out = values.get(m.outputs[0].id);
  if (!out) throw new Error(`the model's output ${m.outputs[0].name} was not reached walking its layers`);
  return { out, seen };
}

/**
 * The feature map Grad-CAM reads: the last convolution's block output, i.e. the last layer (in
 * graph order) whose output still has that convolution's shape — after its batch norm, activation
 * and residual sum (ResNet-9's `stage3_res1_add`, MobileNet's last `_relu`), before pooling.
 */
export function camLayer(m: tf.LayersModel): tf.layers.Layer | undefined {
  const convAt = m.layers.map((l) => CONV.has(l.getClassName())).lastIndexOf(true);
  if (convAt < 0) return undefined;
  const shape = JSON.stringify(m.layers[convAt].outputShape);
  return m.layers
    .slice(convAt)
    .filter((l) => JSON.stringify(l.outputShape) === shape)
    .pop();
}

export interface Saliency {
  /** One value ≥ 0 per pixel of x, row-major (x's height × width). */
  map: Float32Array;
  kind: string;
}

/**
 * Saliency of class `cls` for a 28x28 image x [1,28,28,1] (scaled as in training; fitted to the
 * model's input by `toModelInput`, as for prediction): Grad-CAM — the feature map weighted by the
 * mean gradient of the class score over each channel, ReLU, bilinear back to 28x28 — or input
 * gradients for a model without a convolution.
 */
export function saliency(m: tf.LayersModel, x: tf.Tensor4D, cls: number): Saliency {
  const [, h, w] = x.shape;
  const input = (xi: tf.Tensor) => toModelInput(m.inputs[0].shape, xi as tf.Tensor4D);
  const score = (out: tf.Tensor) => out.gather([cls], 1).sum();
  const layer = camLayer(m);
  if (!layer) {
    const map = tf.tidy(
      () =>
        tf
          .grad((xi: tf.Tensor) => score(runGraph(m, input(xi)).out))(x)
          .abs()
          .sum(-1)
          .dataSync() as Float32Array,
    );
    return { map, kind: 'input gradients (the model has no convolution)' };
  }
  const at = layer.output as Sym;
  const map = tf.tidy(() => {
    const acts = runGraph(m, input(x), at).seen as tf.Tensor4D;
    const grads = tf.grad((a: tf.Tensor) => score(runGraph(m, input(x), at, a).out))(acts);
    const weights = grads.mean([1, 2], true);
    const cam = tf.relu(acts.mul(weights).sum(-1, true)) as tf.Tensor4D;
    return tf.image.resizeBilinear(cam, [h, w]).dataSync() as Float32Array;
  });
  return { map, kind: `Grad-CAM on ${layer.name}` };
}
