/**
 * MobileNetV2 (Sandler et al. 2018) exactly as `keras.applications.MobileNetV2` builds it: the
 * same layer names (`Conv1`, `bn_Conv1`, `expanded_conv_*`, `block_N_{expand,pad,depthwise,project,add}`
 * with `_BN`/`_relu`, `Conv_1`, `out_relu`), order and shapes for any width multiplier `alpha`, so
 * Keras' ImageNet files (`mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{alpha}_{rows}[_no_top].h5`)
 * load by name. Inputs are scaled to [-1, 1] (`mobilenet_v2.preprocess_input`, mode 'tf').
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormalization } from './batch_norm.ts';
import { UserError } from '../util/errors.ts';
import { Graph, checkOptions, correctPad, globalPool, loadApplicationWeights, noteWeights, obtainInputShape, type ApplicationOptions, type ImagenetFile } from './applications.ts';

/** keras/applications/mobilenet_v2.py */
const BASE_WEIGHT_PATH = 'https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/';

/** Square input sizes Keras has ImageNet weights for (other sizes get the 224 ones). */
const IMAGENET_ROWS = [96, 128, 160, 192, 224];

/**
 * Widths with Keras ImageNet weights, and the parameter counts of the network at each
 * (from Keras' own builder code, see testdata/): [with the top, without].
 */
export const MOBILENET_V2_ALPHAS: Record<string, { alpha: number; params: readonly [withTop: number, withoutTop: number] }> = {
  '0.35': { alpha: 0.35, params: [1_691_208, 410_208] },
  '0.5': { alpha: 0.5, params: [1_987_224, 706_224] },
  '0.75': { alpha: 0.75, params: [2_663_064, 1_382_064] },
  '1': { alpha: 1.0, params: [3_538_984, 2_257_984] },
  '1.3': { alpha: 1.3, params: [5_431_048, 3_766_048] },
  '1.4': { alpha: 1.4, params: [6_156_712, 4_363_712] },
};

/** Inverted residual blocks in order: [output filters (before alpha), stride, expansion]. Block 0 has no expansion layer. */
const BLOCKS: [filters: number, stride: number, expansion: number][] = [
  [16, 1, 1],
  [24, 2, 6], [24, 1, 6],
  [32, 2, 6], [32, 1, 6], [32, 1, 6],
  [64, 2, 6], [64, 1, 6], [64, 1, 6], [64, 1, 6],
  [96, 1, 6], [96, 1, 6], [96, 1, 6],
  [160, 2, 6], [160, 1, 6], [160, 1, 6],
  [320, 1, 6],
];

export interface MobileNetV2Options extends ApplicationOptions {
  /** Width multiplier (default 1.0); ImageNet weights exist for 0.35, 0.5, 0.75, 1.0, 1.3 and 1.4. */
  alpha?: number;
}

/** Keras' `_make_divisible`: the nearest multiple of `divisor`, at least `divisor`, never 10% below `v`. */
export function makeDivisible(v: number, divisor = 8): number {
  let next = Math.max(divisor, Math.floor(Math.trunc(v + divisor / 2) / divisor) * divisor);
  if (next < 0.9 * v) next += divisor;
  return next;
}

/** Keras' file name, e.g. `mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5` (Python's `float(alpha)`; Keras pins no hash). */
export function mobilenetV2ImagenetFile(alpha: number, rows: number, includeTop: boolean): ImagenetFile {
  const pyFloat = Number.isInteger(alpha) ? alpha.toFixed(1) : String(alpha);
  const fname = `mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${pyFloat}_${rows}${includeTop ? '' : '_no_top'}.h5`;
  return { fname, origin: BASE_WEIGHT_PATH + fname, fileHash: null };
}

const batchNorm = (name: string) => batchNormalization({ axis: -1, epsilon: 1e-3, momentum: 0.999, name });

/** Keras' `_inverted_res_block`: expand 1x1 (not in block 0), depthwise 3x3, project 1x1 (linear), add when shapes allow. */
function invertedResBlock(g: Graph, inputs: tf.SymbolicTensor, [filters, stride, expansion]: (typeof BLOCKS)[number], alpha: number, blockId: number): tf.SymbolicTensor {
  const inChannels = inputs.shape[3] as number;
  const pointwiseFilters = makeDivisible(Math.trunc(filters * alpha));
  let x = inputs;
  let prefix = `block_${blockId}_`;
  if (blockId) {
    x = g.apply(tf.layers.conv2d({ filters: expansion * inChannels, kernelSize: 1, padding: 'same', useBias: false, name: `${prefix}expand` }), x);
    x = g.apply(batchNorm(`${prefix}expand_BN`), x);
    x = g.apply(tf.layers.reLU({ maxValue: 6, name: `${prefix}expand_relu` }), x);
  } else {
    prefix = 'expanded_conv_';
  }
  if (stride === 2) x = g.apply(tf.layers.zeroPadding2d({ padding: correctPad(x, 3), name: `${prefix}pad` }), x);
  x = g.apply(tf.layers.depthwiseConv2d({ kernelSize: 3, strides: stride, useBias: false, padding: stride === 1 ? 'same' : 'valid', name: `${prefix}depthwise` }), x);
  x = g.apply(batchNorm(`${prefix}depthwise_BN`), x);
  x = g.apply(tf.layers.reLU({ maxValue: 6, name: `${prefix}depthwise_relu` }), x);
  x = g.apply(tf.layers.conv2d({ filters: pointwiseFilters, kernelSize: 1, padding: 'same', useBias: false, name: `${prefix}project` }), x);
  x = g.apply(batchNorm(`${prefix}project_BN`), x);
  if (inChannels === pointwiseFilters && stride === 1) return g.apply(tf.layers.add({ name: `${prefix}add` }), [inputs, x]);
  return x;
}

/** The graph alone (no weights loaded). */
export function mobilenetV2Graph(opts: MobileNetV2Options = {}): tf.LayersModel {
  const o = checkOptions(opts, 'mobilenetv2');
  const alpha = opts.alpha ?? 1.0;
  if (!(alpha > 0)) throw new UserError(`mobilenetv2: alpha must be > 0, got ${alpha}`);
  const [r, c] = opts.inputShape ?? [null, null];
  const defaultSize = r === c && r !== null && IMAGENET_ROWS.includes(r) ? r : 224;
  const inputShape = obtainInputShape(opts.inputShape, defaultSize, 32, o.includeTop, o.weights, 'mobilenetv2');
  let rows: number | null = inputShape[0];
  if (o.weights === 'imagenet') {
    if (!Object.values(MOBILENET_V2_ALPHAS).some((a) => a.alpha === alpha)) throw new UserError(`mobilenetv2: ImageNet weights exist for alpha 0.35, 0.5, 0.75, 1.0, 1.3 and 1.4, got ${alpha}`);
    // As Keras: other sizes get the 224 weights (the convolutions do not depend on the size).
    if (rows === null || inputShape[0] !== inputShape[1] || !IMAGENET_ROWS.includes(rows)) rows = 224;
  }
  const g = new Graph(opts.fastInit);
  const input = g.input(inputShape);

  let x = g.apply(tf.layers.conv2d({ filters: makeDivisible(32 * alpha), kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'Conv1' }), input);
  x = g.apply(batchNorm('bn_Conv1'), x);
  x = g.apply(tf.layers.reLU({ maxValue: 6, name: 'Conv1_relu' }), x);
  BLOCKS.forEach((block, id) => {
    x = invertedResBlock(g, x, block, alpha, id);
  });
  // As the paper: no alpha below 1 on the last convolution, only above.
  const lastFilters = alpha > 1.0 ? makeDivisible(1280 * alpha) : 1280;
  x = g.apply(tf.layers.conv2d({ filters: lastFilters, kernelSize: 1, useBias: false, name: 'Conv_1' }), x);
  x = g.apply(batchNorm('Conv_1_bn'), x);
  x = g.apply(tf.layers.reLU({ maxValue: 6, name: 'out_relu' }), x);

  if (o.includeTop) {
    x = g.apply(tf.layers.globalAveragePooling2d({ name: g.autoName('global_average_pooling2d') }), x);
    x = g.apply(tf.layers.dense({ units: o.classes, activation: o.classifierActivation as 'softmax', name: 'predictions' }), x);
  } else {
    x = globalPool(g, x, o.pooling);
  }
  const model = tf.model({ inputs: input, outputs: x, name: `mobilenetv2_${alpha.toFixed(2)}_${rows ?? 'None'}` });
  (model as tf.LayersModel & { imagenetRows?: number }).imagenetRows = rows ?? 224;
  return model;
}

/** `keras.applications.MobileNetV2(input_shape, alpha, include_top, weights, pooling, classes, classifier_activation)`. */
export async function mobilenetV2(opts: MobileNetV2Options = {}): Promise<tf.LayersModel> {
  const o = checkOptions(opts, 'mobilenetv2');
  const model = mobilenetV2Graph({ ...opts, fastInit: opts.fastInit ?? o.weights !== null });
  const rows = (model as tf.LayersModel & { imagenetRows?: number }).imagenetRows ?? 224;
  return noteWeights(model, await loadApplicationWeights(model, o.weights, () => mobilenetV2ImagenetFile(opts.alpha ?? 1.0, rows, o.includeTop)));
}
