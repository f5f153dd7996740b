/**
 * VGG16 (Simonyan & Zisserman 2015) exactly as `keras.applications.VGG16` builds it: the same layer
 * names, order, shapes and parameter counts (138,357,544 with the top, 14,714,688 without), so
 * Keras' ImageNet weight files load by name.
 */
import * as tf from '@tensorflow/tfjs';
import { Graph, checkOptions, globalPool, loadApplicationWeights, noteWeights, obtainInputShape, type ApplicationOptions, type ImagenetFile } from './applications.ts';

/** keras/applications/vgg16.py */
const WEIGHTS_PATH = 'https://storage.googleapis.com/tensorflow/keras-applications/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5';
const WEIGHTS_PATH_NO_TOP = 'https://storage.googleapis.com/tensorflow/keras-applications/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5';

export function vgg16ImagenetFile(includeTop: boolean): ImagenetFile {
  return includeTop
    ? { fname: 'vgg16_weights_tf_dim_ordering_tf_kernels.h5', origin: WEIGHTS_PATH, fileHash: '64373286793e3c8b2b4e3219cbf3544b' }
    : { fname: 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5', origin: WEIGHTS_PATH_NO_TOP, fileHash: '6d6bbae143d832006294945121d1f1fc' };
}

/** Convolution blocks: filters and convolutions per block. */
const BLOCKS: [filters: number, convs: number][] = [[64, 2], [128, 2], [256, 3], [512, 3], [512, 3]];

/** The graph alone (no weights loaded). */
export function vgg16Graph(opts: ApplicationOptions = {}): tf.LayersModel {
  const o = checkOptions(opts, 'vgg16');
  const inputShape = obtainInputShape(opts.inputShape, 224, 32, o.includeTop, o.weights, 'vgg16');
  const g = new Graph(opts.fastInit);
  const input = g.input(inputShape);
  let x = input;
  BLOCKS.forEach(([filters, convs], b) => {
    for (let c = 1; c <= convs; c++) {
      x = g.apply(tf.layers.conv2d({ filters, kernelSize: 3, activation: 'relu', padding: 'same', name: `block${b + 1}_conv${c}` }), x);
    }
    x = g.apply(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `block${b + 1}_pool` }), x);
  });
  if (o.includeTop) {
    x = g.apply(tf.layers.flatten({ name: 'flatten' }), x);
    x = g.apply(tf.layers.dense({ units: 4096, activation: 'relu', name: 'fc1' }), x);
    x = g.apply(tf.layers.dense({ units: 4096, activation: 'relu', name: 'fc2' }), x);
    x = g.apply(tf.layers.dense({ units: o.classes, activation: o.classifierActivation as 'softmax', name: 'predictions' }), x);
  } else {
    x = globalPool(g, x, o.pooling);
  }
  return tf.model({ inputs: input, outputs: x, name: 'vgg16' });
}

/** `keras.applications.VGG16(include_top, weights, input_shape, pooling, classes, classifier_activation)`. */
export async function vgg16(opts: ApplicationOptions = {}): Promise<tf.LayersModel> {
  const o = checkOptions(opts, 'vgg16');
  const model = vgg16Graph({ ...opts, fastInit: opts.fastInit ?? o.weights !== null });
  return noteWeights(model, await loadApplicationWeights(model, o.weights, () => vgg16ImagenetFile(o.includeTop)));
}
