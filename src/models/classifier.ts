/**
 * A whole Fashion-MNIST classifier on a pretrained base, image to class, in standard tfjs layers:
 *
 *   image [size,size,1] in [0,1] → to_rgb (frozen 1x1 conv: grey to the base's channels, scaled as
 *   its weights were trained) → the base's own layers, by their own names → head_pool (global
 *   average) → head_dropout → logits (Dense 10) → predictions (softmax)
 *
 * 28x28 images reach the size by `toModelInput` (src/data/preprocess.ts: bilinear resize), the one
 * function that fits images to any model's input in training, evaluation, `predict` and the web
 * app; the channel scaling is inside the model, so nothing can preprocess it differently. A batch
 * exists at size×size×3 only inside the model (70,000 images at 96x96x3 in float32 would be 7.7 GB).
 * For grey inputs R = G = B, so Keras' RGB→BGR flip ('caffe') changes nothing; each channel's own
 * mean and scale still apply. (tfjs' Resizing layer would put the resize inside too, but its
 * computeOutputShape drops the batch axis in tfjs 4.22, so no model can be built on it.)
 *
 * Two views share the layers (and weights) of `model`, for the training loop:
 *   body: image → pooled features (everything up to head_pool);
 *   head: pooled features → logits.
 * so the base can run in inference mode (BatchNorm with its moving statistics, Keras' rule for
 * fine-tuning) while the head trains, and features can be computed once (`mode: features`).
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config.ts';
import { baseInputSize } from '../config.ts';
import { NUM_CLASSES } from '../data/source.ts';
import { UserError } from '../util/errors.ts';
import { loadBase, type Base, type BasePreprocess } from './bases.ts';

export interface Classifier {
  model: tf.LayersModel;
  body: tf.LayersModel;
  head: tf.LayersModel;
  /** The base's layers, in order (what `unfreeze` counts from). */
  baseLayers: tf.layers.Layer[];
  base: Omit<Base, 'model'>;
  preprocess: BasePreprocess;
}

/** ImageNet channel statistics, RGB, of pixels in [0, 1] (Keras imagenet_utils 'torch' mode). */
const TORCH_MEAN = [0.485, 0.456, 0.406];
const TORCH_STD = [0.229, 0.224, 0.225];
/** Keras 'caffe' mode subtracts these from BGR pixels in [0, 255]. */
const CAFFE_MEAN_BGR = [103.939, 116.779, 123.68];

/** Each mode as pixel' = scale·pixel + offset on pixels in [0, 1], per output channel c. */
export function preprocessAffine(mode: BasePreprocess, c: number): [scale: number, offset: number] {
  switch (mode) {
    case 'caffe': return [255, -CAFFE_MEAN_BGR[c % 3]];
    case 'tf': return [2, -1]; // x/127.5 - 1 on [0, 255]
    case 'torch': return [1 / TORCH_STD[c % 3], -TORCH_MEAN[c % 3] / TORCH_STD[c % 3]];
    case 'none': case 'raw': return [255, 0]; // EfficientNet rescales inside itself
    case 'unit': return [1, 0];
  }
}

/**
 * The base's layers applied anew to `x`: the classifier holds the base's own layer objects (so
 * their names, weights and trainable flags are the base's), not a nested model.
 */
function rewire(base: tf.LayersModel, x: tf.SymbolicTensor): { out: tf.SymbolicTensor; layers: tf.layers.Layer[] } {
  const made = new Map<number, tf.SymbolicTensor>([[base.inputs[0].id, x]]);
  const layers: tf.layers.Layer[] = [];
  for (const layer of base.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    const nodes = (layer as unknown as { inboundNodes: { inputTensors: tf.SymbolicTensor[]; outputTensors: tf.SymbolicTensor[] }[] }).inboundNodes;
    const node = nodes[0];
    const inputs = node.inputTensors.map((t) => made.get(t.id));
    if (nodes.length !== 1 || inputs.some((t) => t === undefined)) throw new UserError(`base layer '${layer.name}' is shared or out of order; such a base cannot be put under a new head`);
    const out = layer.apply(inputs.length === 1 ? inputs[0]! : (inputs as tf.SymbolicTensor[]));
    if (Array.isArray(out)) throw new UserError(`base layer '${layer.name}' has several outputs; cut the base above it`);
    made.set(node.outputTensors[0].id, out as tf.SymbolicTensor);
    layers.push(layer);
  }
  const out = made.get(base.outputs[0].id);
  if (!out) throw new Error(`rewire: the base's output was not reached`);
  return { out, layers };
}

/** Build the classifier a transfer configuration describes (its base loaded or made at random). */
export async function buildClassifier(cfg: TrainConfig): Promise<Classifier> {
  if (!cfg.base) throw new Error('buildClassifier: the config has no base');
  const size = baseInputSize(cfg);
  const base = await loadBase(cfg.base, { inputSize: size, weights: cfg.mode === 'scratch' ? null : cfg.weights, cut: cfg.cut, fastInit: false });
  if ((cfg.mode === 'features' || cfg.mode === 'finetune') && base.weights === null) {
    throw new UserError(`${cfg.base}: mode ${cfg.mode} needs pretrained weights (--weights imagenet or FILE); a random base is what --mode scratch trains`);
  }
  const preprocess = cfg.preprocess === 'auto' ? base.preprocess : cfg.preprocess;
  const [, , channels] = base.inputShape;

  const image = tf.input({ shape: [size, size, 1], name: 'image' });
  const toRgb = tf.layers.conv2d({ filters: channels, kernelSize: 1, useBias: true, trainable: false, name: 'to_rgb' });
  const x = toRgb.apply(image) as tf.SymbolicTensor;
  const affine = Array.from({ length: channels }, (_, c) => preprocessAffine(preprocess, c));
  toRgb.setWeights([tf.tensor4d(affine.map(([s]) => s), [1, 1, 1, channels]), tf.tensor1d(affine.map(([, o]) => o))]);

  const { out, layers: baseLayers } = rewire(base.model, x);
  const names = new Set(baseLayers.map((l) => l.name));
  for (const n of ['image', 'to_rgb', 'head_pool', 'head_dropout', 'logits', 'predictions']) {
    if (names.has(n)) throw new UserError(`${cfg.base}: the base has a layer named '${n}', which the classifier's own layers use; cut the base below it`);
  }
  const pool = tf.layers.globalAveragePooling2d({ name: 'head_pool' });
  const dropout = tf.layers.dropout({ rate: cfg.dropout, seed: cfg.seed, name: 'head_dropout' });
  const logits = tf.layers.dense({ units: NUM_CLASSES, name: 'logits', kernelInitializer: tf.initializers.glorotUniform({ seed: cfg.seed }) });
  const pooled = pool.apply(out) as tf.SymbolicTensor;
  const z = logits.apply(dropout.apply(pooled)) as tf.SymbolicTensor;
  const probs = tf.layers.activation({ activation: 'softmax', name: 'predictions' }).apply(z) as tf.SymbolicTensor;
  const model = tf.model({ inputs: image, outputs: probs, name: `${cfg.base.replace(/^.*[\\/]/, '').replace(/[^\w.-]+/g, '_')}_fashion` });

  const body = tf.model({ inputs: image, outputs: pooled, name: 'body' });
  const features = tf.input({ shape: pooled.shape.slice(1) as number[], name: 'features' });
  const head = tf.model({ inputs: features, outputs: logits.apply(dropout.apply(features)) as tf.SymbolicTensor, name: 'head' });
  const { model: _, ...info } = base;
  return { model, body, head, baseLayers, base: info, preprocess };
}

/**
 * Which of the base's layers train in a phase: none ('head'), those from `unfreeze` on
 * ('finetune'; the whole base when unfreeze is null), or all ('scratch'). The head always trains;
 * to_rgb never does. Returns how many base layers train.
 */
export function setTrainable(c: Classifier, phase: 'head' | 'finetune' | 'scratch', unfreeze: string | null): number {
  let from = phase === 'head' ? c.baseLayers.length : 0;
  if (phase === 'finetune' && unfreeze !== null) {
    from = c.baseLayers.findIndex((l) => l.name.startsWith(unfreeze));
    if (from < 0) {
      const sample = c.baseLayers.filter((_, i) => i % Math.ceil(c.baseLayers.length / 8) === 0).map((l) => l.name);
      throw new UserError(`unfreeze: no layer of ${c.base.spec} is named '${unfreeze}…' (its layers include ${sample.join(', ')})`);
    }
  }
  c.baseLayers.forEach((l, i) => { l.trainable = i >= from; });
  return c.baseLayers.length - from;
}
