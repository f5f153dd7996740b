/**
 * ResNet V2 (He et al. 2016, pre-activation) exactly as `keras.applications.ResNet50V2/101V2/152V2`
 * build it (keras/applications/resnet.py `ResNet(preact=True)` with `stack2`/`block2`): the same
 * layer names, order, shapes and parameter counts — ResNet152V2: 60,380,648 with the top,
 * 58,331,648 without — so Keras' ImageNet weight files load by name.
 *
 * The three variants are rows of one table; one generic builder makes them.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormalization } from './batch_norm.ts';
import { Graph, checkOptions, globalPool, loadApplicationWeights, noteWeights, obtainInputShape, type ApplicationOptions, type ImagenetFile } from './applications.ts';

/** keras/applications/resnet.py */
const BASE_WEIGHTS_PATH = 'https://storage.googleapis.com/tensorflow/keras-applications/resnet/';

export interface ResNetV2Variant {
  /** Blocks in the stacks conv2…conv5. */
  blocks: [number, number, number, number];
  /** WEIGHTS_HASHES[name] in the Keras sources: [with top, without top] (md5). */
  hashes: [string, string];
}

export const RESNET_V2_VARIANTS = {
  resnet50v2: { blocks: [3, 4, 6, 3], hashes: ['3ef43a0b657b3be2300d5770ece849e0', 'fac2f116257151a9d068a22e544a4917'] },
  resnet101v2: { blocks: [3, 4, 23, 3], hashes: ['6343647c601c52e1368623803854d971', 'c0ed64b8031c3730f411d2eb4eea35b5'] },
  resnet152v2: { blocks: [3, 8, 36, 3], hashes: ['a49b44d1979771252814e80f8ec446f9', 'ed17cf2e0169df9d443503ef94b23b33'] },
} satisfies Record<string, ResNetV2Variant>;

export type ResNetV2Name = keyof typeof RESNET_V2_VARIANTS;

export function resnetV2ImagenetFile(name: ResNetV2Name, includeTop: boolean): ImagenetFile {
  const fname = `${name}_weights_tf_dim_ordering_tf_kernels${includeTop ? '' : '_notop'}.h5`;
  return { fname, origin: BASE_WEIGHTS_PATH + fname, fileHash: RESNET_V2_VARIANTS[name].hashes[includeTop ? 0 : 1] };
}

const EPS = 1.001e-5;

/** resnet.block2: a pre-activation bottleneck block. */
function block2(g: Graph, x: tf.SymbolicTensor, filters: number, name: string, stride = 1, convShortcut = false): tf.SymbolicTensor {
  let preact = g.apply(batchNormalization({ axis: 3, epsilon: EPS, name: `${name}_preact_bn` }), x);
  preact = g.apply(tf.layers.activation({ activation: 'relu', name: `${name}_preact_relu` }), preact);

  let shortcut: tf.SymbolicTensor;
  if (convShortcut) shortcut = g.apply(tf.layers.conv2d({ filters: 4 * filters, kernelSize: 1, strides: stride, name: `${name}_0_conv` }), preact);
  else shortcut = stride > 1 ? g.apply(tf.layers.maxPooling2d({ poolSize: 1, strides: stride, name: g.autoName('max_pooling2d') }), x) : x;

  let y = g.apply(tf.layers.conv2d({ filters, kernelSize: 1, strides: 1, useBias: false, name: `${name}_1_conv` }), preact);
  y = g.apply(batchNormalization({ axis: 3, epsilon: EPS, name: `${name}_1_bn` }), y);
  y = g.apply(tf.layers.activation({ activation: 'relu', name: `${name}_1_relu` }), y);

  y = g.apply(tf.layers.zeroPadding2d({ padding: [[1, 1], [1, 1]], name: `${name}_2_pad` }), y);
  y = g.apply(tf.layers.conv2d({ filters, kernelSize: 3, strides: stride, useBias: false, name: `${name}_2_conv` }), y);
  y = g.apply(batchNormalization({ axis: 3, epsilon: EPS, name: `${name}_2_bn` }), y);
  y = g.apply(tf.layers.activation({ activation: 'relu', name: `${name}_2_relu` }), y);

  y = g.apply(tf.layers.conv2d({ filters: 4 * filters, kernelSize: 1, name: `${name}_3_conv` }), y);
  return g.apply(tf.layers.add({ name: `${name}_out` }), [shortcut, y]);
}

/** resnet.stack2: the first block widens, the last one strides. */
function stack2(g: Graph, x: tf.SymbolicTensor, filters: number, blocks: number, name: string, stride1 = 2): tf.SymbolicTensor {
  x = block2(g, x, filters, `${name}_block1`, 1, true);
  for (let i = 2; i < blocks; i++) x = block2(g, x, filters, `${name}_block${i}`);
  return block2(g, x, filters, `${name}_block${blocks}`, stride1);
}

/** The graph alone (no weights loaded). */
export function resnetV2Graph(name: ResNetV2Name, opts: ApplicationOptions = {}): tf.LayersModel {
  const variant: ResNetV2Variant = RESNET_V2_VARIANTS[name];
  const o = checkOptions(opts, name);
  const inputShape = obtainInputShape(opts.inputShape, 224, 32, o.includeTop, o.weights, name);
  const g = new Graph(opts.fastInit);
  const input = g.input(inputShape);

  let x = g.apply(tf.layers.zeroPadding2d({ padding: [[3, 3], [3, 3]], name: 'conv1_pad' }), input);
  x = g.apply(tf.layers.conv2d({ filters: 64, kernelSize: 7, strides: 2, useBias: true, name: 'conv1_conv' }), x);
  x = g.apply(tf.layers.zeroPadding2d({ padding: [[1, 1], [1, 1]], name: 'pool1_pad' }), x);
  x = g.apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool1_pool' }), x);

  const [b2, b3, b4, b5] = variant.blocks;
  x = stack2(g, x, 64, b2, 'conv2');
  x = stack2(g, x, 128, b3, 'conv3');
  x = stack2(g, x, 256, b4, 'conv4');
  x = stack2(g, x, 512, b5, 'conv5', 1);

  x = g.apply(batchNormalization({ axis: 3, epsilon: EPS, name: 'post_bn' }), x);
  x = g.apply(tf.layers.activation({ activation: 'relu', name: 'post_relu' }), x);

  if (o.includeTop) {
    x = g.apply(tf.layers.globalAveragePooling2d({ name: 'avg_pool' }), x);
    x = g.apply(tf.layers.dense({ units: o.classes, activation: o.classifierActivation as 'softmax', name: 'predictions' }), x);
  } else {
    x = globalPool(g, x, o.pooling, { avg: 'avg_pool', max: 'max_pool' });
  }
  return tf.model({ inputs: input, outputs: x, name });
}

/** `keras.applications.ResNet50V2 / ResNet101V2 / ResNet152V2(...)` by name. */
export async function resnetV2(name: ResNetV2Name, opts: ApplicationOptions = {}): Promise<tf.LayersModel> {
  const o = checkOptions(opts, name);
  const model = resnetV2Graph(name, { ...opts, fastInit: opts.fastInit ?? o.weights !== null });
  return noteWeights(model, await loadApplicationWeights(model, o.weights, () => resnetV2ImagenetFile(name, o.includeTop)));
}

export const resnet50v2 = (opts: ApplicationOptions = {}) => resnetV2('resnet50v2', opts);
export const resnet101v2 = (opts: ApplicationOptions = {}) => resnetV2('resnet101v2', opts);
export const resnet152v2 = (opts: ApplicationOptions = {}) => resnetV2('resnet152v2', opts);
