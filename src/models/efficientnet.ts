/**
 * EfficientNet B0–B7 (Tan & Le 2019) exactly as `keras.applications.EfficientNetB0…B7` build them
 * (keras/applications/efficientnet.py, the version with the ImageNet-only stddev Rescaling): the
 * same layer names, order, shapes and parameter counts — B1: 7,856,239 with the top, 6,575,239
 * without — so Keras' ImageNet weight files load by name.
 *
 * The variants are rows of one table; one generic builder makes them. Input pixels are in [0, 255]:
 * the model rescales and normalises them itself (`rescaling`, `normalization`), as in Keras.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormalization } from './batch_norm.ts';
import { Graph, checkOptions, correctPad, loadApplicationWeights, noteWeights, obtainInputShape, type ApplicationOptions, type ImagenetFile } from './applications.ts';
import { Normalization, Rescaling } from '../keras/layers.ts';

/** keras/applications/efficientnet.py */
const BASE_WEIGHTS_PATH = 'https://storage.googleapis.com/keras-applications/';

export interface EfficientNetVariant {
  width: number;
  depth: number;
  /** Default input size. */
  resolution: number;
  /** Dropout before the classifier. */
  dropout: number;
  /** WEIGHTS_HASHES in the Keras sources: [with top, without top] (md5). */
  hashes: [string, string];
}

export const EFFICIENTNET_VARIANTS = {
  efficientnetb0: { width: 1.0, depth: 1.0, resolution: 224, dropout: 0.2, hashes: ['902e53a9f72be733fc0bcb005b3ebbac', '50bc09e76180e00e4465e1a485ddc09d'] },
  efficientnetb1: { width: 1.0, depth: 1.1, resolution: 240, dropout: 0.2, hashes: ['1d254153d4ab51201f1646940f018540', '74c4e6b3e1f6a1eea24c589628592432'] },
  efficientnetb2: { width: 1.1, depth: 1.2, resolution: 260, dropout: 0.3, hashes: ['b15cce36ff4dcbd00b6dd88e7857a6ad', '111f8e2ac8aa800a7a99e3239f7bfb39'] },
  efficientnetb3: { width: 1.2, depth: 1.4, resolution: 300, dropout: 0.3, hashes: ['ffd1fdc53d0ce67064dc6a9c7960ede0', 'af6d107764bb5b1abb91932881670226'] },
  efficientnetb4: { width: 1.4, depth: 1.8, resolution: 380, dropout: 0.4, hashes: ['18c95ad55216b8f92d7e70b3a046e2fc', 'ebc24e6d6c33eaebbd558eafbeedf1ba'] },
  efficientnetb5: { width: 1.6, depth: 2.2, resolution: 456, dropout: 0.4, hashes: ['ace28f2a6363774853a83a0b21b9421a', '38879255a25d3c92d5e44e04ae6cec6f'] },
  efficientnetb6: { width: 1.8, depth: 2.6, resolution: 528, dropout: 0.5, hashes: ['165f6e37dce68623721b423839de8be5', '9ecce42647a20130c1f39a5d4cb75743'] },
  efficientnetb7: { width: 2.0, depth: 3.1, resolution: 600, dropout: 0.5, hashes: ['8c03f828fec3ef71311cd463b6759d99', 'cbcfe4450ddf6f3ad90b1b398090fe4a'] },
} satisfies Record<string, EfficientNetVariant>;

export type EfficientNetName = keyof typeof EFFICIENTNET_VARIANTS;

interface BlockArgs { kernelSize: number; repeats: number; filtersIn: number; filtersOut: number; expandRatio: number; idSkip: boolean; strides: number; seRatio: number }

/** DEFAULT_BLOCKS_ARGS */
const BLOCKS_ARGS: BlockArgs[] = [
  { kernelSize: 3, repeats: 1, filtersIn: 32, filtersOut: 16, expandRatio: 1, idSkip: true, strides: 1, seRatio: 0.25 },
  { kernelSize: 3, repeats: 2, filtersIn: 16, filtersOut: 24, expandRatio: 6, idSkip: true, strides: 2, seRatio: 0.25 },
  { kernelSize: 5, repeats: 2, filtersIn: 24, filtersOut: 40, expandRatio: 6, idSkip: true, strides: 2, seRatio: 0.25 },
  { kernelSize: 3, repeats: 3, filtersIn: 40, filtersOut: 80, expandRatio: 6, idSkip: true, strides: 2, seRatio: 0.25 },
  { kernelSize: 5, repeats: 3, filtersIn: 80, filtersOut: 112, expandRatio: 6, idSkip: true, strides: 1, seRatio: 0.25 },
  { kernelSize: 5, repeats: 4, filtersIn: 112, filtersOut: 192, expandRatio: 6, idSkip: true, strides: 2, seRatio: 0.25 },
  { kernelSize: 3, repeats: 1, filtersIn: 192, filtersOut: 320, expandRatio: 6, idSkip: true, strides: 1, seRatio: 0.25 },
];

const IMAGENET_STDDEV_RGB = [0.229, 0.224, 0.225];
const DROP_CONNECT_RATE = 0.2;
const DEPTH_DIVISOR = 8;
const ACTIVATION = 'swish';

// Keras' CONV_KERNEL_INITIALIZER / DENSE_KERNEL_INITIALIZER
const convInit = () => tf.initializers.varianceScaling({ scale: 2.0, mode: 'fanOut', distribution: 'truncatedNormal' });
const denseInit = () => tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanOut', distribution: 'uniform' });

export function efficientnetImagenetFile(name: EfficientNetName, includeTop: boolean): ImagenetFile {
  const fname = `${name}${includeTop ? '.h5' : '_notop.h5'}`;
  return { fname, origin: BASE_WEIGHTS_PATH + fname, fileHash: EFFICIENTNET_VARIANTS[name].hashes[includeTop ? 0 : 1] };
}

/** efficientnet.block: an inverted residual (MBConv) block with squeeze-and-excitation. */
function block(g: Graph, inputs: tf.SymbolicTensor, dropRate: number, name: string, a: Omit<BlockArgs, 'repeats'>): tf.SymbolicTensor {
  const filters = a.filtersIn * a.expandRatio;
  let x = inputs;
  if (a.expandRatio !== 1) {
    x = g.apply(tf.layers.conv2d({ filters, kernelSize: 1, padding: 'same', useBias: false, kernelInitializer: convInit(), name: `${name}expand_conv` }), x);
    x = g.apply(batchNormalization({ axis: 3, name: `${name}expand_bn` }), x);
    x = g.apply(tf.layers.activation({ activation: ACTIVATION, name: `${name}expand_activation` }), x);
  }
  let convPad: 'same' | 'valid' = 'same';
  if (a.strides === 2) {
    x = g.apply(tf.layers.zeroPadding2d({ padding: correctPad(x, a.kernelSize), name: `${name}dwconv_pad` }), x);
    convPad = 'valid';
  }
  x = g.apply(tf.layers.depthwiseConv2d({ kernelSize: a.kernelSize, strides: a.strides, padding: convPad, useBias: false, depthwiseInitializer: convInit(), name: `${name}dwconv` }), x);
  x = g.apply(batchNormalization({ axis: 3, name: `${name}bn` }), x);
  x = g.apply(tf.layers.activation({ activation: ACTIVATION, name: `${name}activation` }), x);

  if (a.seRatio > 0 && a.seRatio <= 1) {
    const filtersSe = Math.max(1, Math.floor(a.filtersIn * a.seRatio));
    let se = g.apply(tf.layers.globalAveragePooling2d({ name: `${name}se_squeeze` }), x);
    se = g.apply(tf.layers.reshape({ targetShape: [1, 1, filters], name: `${name}se_reshape` }), se);
    se = g.apply(tf.layers.conv2d({ filters: filtersSe, kernelSize: 1, padding: 'same', activation: ACTIVATION, kernelInitializer: convInit(), name: `${name}se_reduce` }), se);
    se = g.apply(tf.layers.conv2d({ filters, kernelSize: 1, padding: 'same', activation: 'sigmoid', kernelInitializer: convInit(), name: `${name}se_expand` }), se);
    x = g.apply(tf.layers.multiply({ name: `${name}se_excite` }), [x, se]);
  }

  x = g.apply(tf.layers.conv2d({ filters: a.filtersOut, kernelSize: 1, padding: 'same', useBias: false, kernelInitializer: convInit(), name: `${name}project_conv` }), x);
  x = g.apply(batchNormalization({ axis: 3, name: `${name}project_bn` }), x);
  if (a.idSkip && a.strides === 1 && a.filtersIn === a.filtersOut) {
    if (dropRate > 0) {
      // Stochastic depth: one draw per sample (noise_shape (None, 1, 1, 1)).
      x = g.apply(tf.layers.dropout({ rate: dropRate, noiseShape: [null, 1, 1, 1] as unknown as number[], name: `${name}drop` }), x);
    }
    x = g.apply(tf.layers.add({ name: `${name}add` }), [x, inputs]);
  }
  return x;
}

/** The graph alone (no weights loaded). */
export function efficientnetGraph(name: EfficientNetName, opts: ApplicationOptions = {}): tf.LayersModel {
  const v: EfficientNetVariant = EFFICIENTNET_VARIANTS[name];
  const o = checkOptions(opts, name);
  const inputShape = obtainInputShape(opts.inputShape, v.resolution, 32, o.includeTop, o.weights, name);
  const g = new Graph(opts.fastInit);

  const roundFilters = (filters: number, divisor = DEPTH_DIVISOR) => {
    const f = filters * v.width;
    let n = Math.max(divisor, Math.floor(Math.floor(f + divisor / 2) / divisor) * divisor);
    if (n < 0.9 * f) n += divisor;
    return Math.floor(n);
  };
  const roundRepeats = (repeats: number) => Math.ceil(v.depth * repeats);

  const input = g.input(inputShape);
  let x = g.apply(new Rescaling({ scale: 1 / 255, name: g.autoName('rescaling') }), input);
  x = g.apply(new Normalization({ axis: 3, name: g.autoName('normalization') }), x);
  if (o.weights === 'imagenet') {
    // As Keras: the ImageNet weights' Normalization holds the stddev where a variance belongs
    // (tensorflow/tensorflow#49930); this rescaling makes up for it.
    x = g.apply(new Rescaling({ scale: IMAGENET_STDDEV_RGB.map((s) => 1 / Math.sqrt(s)), name: g.autoName('rescaling') }), x);
  }
  x = g.apply(tf.layers.zeroPadding2d({ padding: correctPad(x, 3), name: 'stem_conv_pad' }), x);
  x = g.apply(tf.layers.conv2d({ filters: roundFilters(32), kernelSize: 3, strides: 2, padding: 'valid', useBias: false, kernelInitializer: convInit(), name: 'stem_conv' }), x);
  x = g.apply(batchNormalization({ axis: 3, name: 'stem_bn' }), x);
  x = g.apply(tf.layers.activation({ activation: ACTIVATION, name: 'stem_activation' }), x);

  const total = BLOCKS_ARGS.reduce((s, a) => s + roundRepeats(a.repeats), 0);
  let b = 0;
  BLOCKS_ARGS.forEach((args, i) => {
    const a = { ...args, filtersIn: roundFilters(args.filtersIn), filtersOut: roundFilters(args.filtersOut) };
    const repeats = roundRepeats(args.repeats);
    for (let j = 0; j < repeats; j++) {
      if (j > 0) {
        a.strides = 1;
        a.filtersIn = a.filtersOut;
      }
      x = block(g, x, (DROP_CONNECT_RATE * b) / total, `block${i + 1}${String.fromCharCode(97 + j)}_`, a);
      b++;
    }
  });

  x = g.apply(tf.layers.conv2d({ filters: roundFilters(1280), kernelSize: 1, padding: 'same', useBias: false, kernelInitializer: convInit(), name: 'top_conv' }), x);
  x = g.apply(batchNormalization({ axis: 3, name: 'top_bn' }), x);
  x = g.apply(tf.layers.activation({ activation: ACTIVATION, name: 'top_activation' }), x);
  if (o.includeTop) {
    x = g.apply(tf.layers.globalAveragePooling2d({ name: 'avg_pool' }), x);
    if (v.dropout > 0) x = g.apply(tf.layers.dropout({ rate: v.dropout, name: 'top_dropout' }), x);
    x = g.apply(tf.layers.dense({ units: o.classes, activation: o.classifierActivation as 'softmax', kernelInitializer: denseInit(), name: 'predictions' }), x);
  } else if (o.pooling === 'avg') {
    x = g.apply(tf.layers.globalAveragePooling2d({ name: 'avg_pool' }), x);
  } else if (o.pooling === 'max') {
    x = g.apply(tf.layers.globalMaxPooling2d({ name: 'max_pool' }), x);
  }
  return tf.model({ inputs: input, outputs: x, name });
}

/** `keras.applications.EfficientNetB0…B7(...)` by name. */
export async function efficientnet(name: EfficientNetName, opts: ApplicationOptions = {}): Promise<tf.LayersModel> {
  const o = checkOptions(opts, name);
  const model = efficientnetGraph(name, { ...opts, fastInit: opts.fastInit ?? o.weights !== null });
  return noteWeights(model, await loadApplicationWeights(model, o.weights, () => efficientnetImagenetFile(name, o.includeTop)));
}

export const efficientnetb0 = (opts: ApplicationOptions = {}) => efficientnet('efficientnetb0', opts);
export const efficientnetb1 = (opts: ApplicationOptions = {}) => efficientnet('efficientnetb1', opts);
