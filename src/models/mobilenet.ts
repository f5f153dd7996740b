/**
 * MobileNet v1 (Howard et al. 2017) exactly as `keras.applications.MobileNet` builds it: the same
 * layer names (`conv1`, `conv_dw_N`, `conv_pw_N` with `_bn`/`_relu`, `conv_pad_N`), order and
 * shapes for any width multiplier `alpha`, so Keras' ImageNet files
 * (`mobilenet_{1_0,7_5,5_0,2_5}_{128,160,192,224}_tf[_no_top].h5`) load by name. Inputs are scaled
 * to [-1, 1] (`mobilenet.preprocess_input`, mode 'tf').
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormalization } from './batch_norm.ts';
import { UserError } from '../util/errors.ts';
import { Graph, checkOptions, globalPool, loadApplicationWeights, noteWeights, obtainInputShape, type ApplicationOptions, type ImagenetFile } from './applications.ts';
import { GlobalAveragePooling2D } from '../keras/layers.ts';

/** keras/applications/mobilenet.py */
const BASE_WEIGHT_PATH = 'https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/';

export interface MobileNetOptions extends ApplicationOptions {
  /** Width multiplier (default 1.0); ImageNet weights exist for 0.25, 0.5, 0.75 and 1.0. */
  alpha?: number;
  /** Depth multiplier of the depthwise convolutions (default 1; 1 with ImageNet weights). */
  depthMultiplier?: number;
  /** Dropout before the classifier (default 1e-3). */
  dropout?: number;
}

/** Pointwise filters and strides of the 13 depthwise-separable blocks. */
const BLOCKS: [filters: number, stride: number][] = [
  [64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2],
  [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1],
];

const ALPHA_TEXT: Record<string, string> = { '1': '1_0', '0.75': '7_5', '0.5': '5_0', '0.25': '2_5' };

/**
 * Keras' file names. Keras pins no hash for these files (its get_file is called without one), so
 * none is checked here either.
 */
export function mobilenetImagenetFile(alpha: number, rows: number, includeTop: boolean): ImagenetFile {
  const fname = `mobilenet_${ALPHA_TEXT[String(alpha)] ?? '2_5'}_${rows}_tf${includeTop ? '' : '_no_top'}.h5`;
  return { fname, origin: BASE_WEIGHT_PATH + fname, fileHash: null };
}

/** The graph alone (no weights loaded). */
export function mobilenetGraph(opts: MobileNetOptions = {}): tf.LayersModel {
  const o = checkOptions(opts, 'mobilenet');
  const { alpha = 1.0, depthMultiplier = 1, dropout = 1e-3 } = opts;
  if (!(alpha > 0)) throw new UserError(`mobilenet: alpha must be > 0, got ${alpha}`);
  let defaultSize = 224;
  if (opts.inputShape) {
    const [r, c] = opts.inputShape;
    if (r === c && r !== null && [128, 160, 192, 224].includes(r)) defaultSize = r;
  }
  const inputShape = obtainInputShape(opts.inputShape, defaultSize, 32, o.includeTop, o.weights, 'mobilenet');
  let rows: number | null = inputShape[0];
  if (o.weights === 'imagenet') {
    if (depthMultiplier !== 1) throw new UserError(`mobilenet: ImageNet weights need depth multiplier 1, got ${depthMultiplier}`);
    if (!(String(alpha) in ALPHA_TEXT)) throw new UserError(`mobilenet: ImageNet weights exist for alpha 0.25, 0.5, 0.75 and 1.0, got ${alpha}`);
    // As Keras: other sizes get the 224 weights (the convolutions do not depend on the size).
    if (rows === null || inputShape[0] !== inputShape[1] || ![128, 160, 192, 224].includes(rows)) rows = 224;
  }
  const g = new Graph(opts.fastInit);
  const input = g.input(inputShape);

  // _conv_block
  let x = g.apply(tf.layers.conv2d({ filters: Math.trunc(32 * alpha), kernelSize: 3, padding: 'same', useBias: false, strides: 2, name: 'conv1' }), input);
  x = g.apply(batchNormalization({ axis: -1, name: 'conv1_bn' }), x);
  x = g.apply(tf.layers.reLU({ maxValue: 6, name: 'conv1_relu' }), x);

  // _depthwise_conv_block x 13
  BLOCKS.forEach(([filters, stride], i) => {
    const id = i + 1;
    if (stride !== 1) x = g.apply(tf.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: `conv_pad_${id}` }), x);
    x = g.apply(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: stride === 1 ? 'same' : 'valid', depthMultiplier, strides: stride, useBias: false, name: `conv_dw_${id}` }), x);
    x = g.apply(batchNormalization({ axis: -1, name: `conv_dw_${id}_bn` }), x);
    x = g.apply(tf.layers.reLU({ maxValue: 6, name: `conv_dw_${id}_relu` }), x);
    x = g.apply(tf.layers.conv2d({ filters: Math.trunc(filters * alpha), kernelSize: 1, padding: 'same', useBias: false, strides: 1, name: `conv_pw_${id}` }), x);
    x = g.apply(batchNormalization({ axis: -1, name: `conv_pw_${id}_bn` }), x);
    x = g.apply(tf.layers.reLU({ maxValue: 6, name: `conv_pw_${id}_relu` }), x);
  });

  if (o.includeTop) {
    x = g.apply(new GlobalAveragePooling2D({ keepdims: true, name: g.autoName('global_average_pooling2d') }), x);
    x = g.apply(tf.layers.dropout({ rate: dropout, name: 'dropout' }), x);
    x = g.apply(tf.layers.conv2d({ filters: o.classes, kernelSize: 1, padding: 'same', name: 'conv_preds' }), x);
    x = g.apply(tf.layers.reshape({ targetShape: [o.classes], name: 'reshape_2' }), x);
    x = g.apply(tf.layers.activation({ activation: o.classifierActivation as 'softmax', name: 'predictions' }), x);
  } else {
    x = globalPool(g, x, o.pooling);
  }
  const name = `mobilenet_${alpha.toFixed(2)}_${rows ?? 'None'}`;
  const model = tf.model({ inputs: input, outputs: x, name });
  (model as tf.LayersModel & { imagenetRows?: number }).imagenetRows = rows ?? 224;
  return model;
}

/** `keras.applications.MobileNet(input_shape, alpha, depth_multiplier, dropout, include_top, weights, pooling, classes, classifier_activation)`. */
export async function mobilenet(opts: MobileNetOptions = {}): Promise<tf.LayersModel> {
  const o = checkOptions(opts, 'mobilenet');
  const model = mobilenetGraph({ ...opts, fastInit: opts.fastInit ?? o.weights !== null });
  const rows = (model as tf.LayersModel & { imagenetRows?: number }).imagenetRows ?? 224;
  return noteWeights(model, await loadApplicationWeights(model, o.weights, () => mobilenetImagenetFile(opts.alpha ?? 1.0, rows, o.includeTop)));
}
