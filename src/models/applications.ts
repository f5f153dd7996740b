/**
 * What the Keras-application builders (vgg16, resnet_v2, efficientnet, mobilenet, mobilenet_v2) share, after
 * `keras.applications`: the options, the input-shape rules (`imagenet_utils.obtain_input_shape`),
 * `correct_pad`, Keras' automatic layer names, the pooling/top choice and weight loading.
 *
 * Layer names are Keras' own (tf.keras 2.x naming in a fresh session: the input is `input_1`,
 * unnamed layers are `max_pooling2d`, `max_pooling2d_1`, …), so weights load and layers freeze by
 * name, never by index.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../util/errors.ts';
import { registerKerasLayers } from '../keras/layers.ts';

export type Pooling = 'avg' | 'max' | null;
export type InputShape = [number | null, number | null, number];

/** The options of every application builder, as keras.applications names them. */
export interface ApplicationOptions {
  /** Keep the ImageNet classifier on top (default true, as in Keras). */
  includeTop?: boolean;
  /**
   * null (random init, the default here: nothing is downloaded unless asked), 'imagenet' (Keras'
   * own file: Keras' cache, ours, or a download), or the path of a Keras HDF5 weights file.
   */
  weights?: string | null;
  /** [rows, cols, channels]; without the top any size from 32x32 up, as in Keras. */
  inputShape?: InputShape;
  /** Without the top: 'avg' or 'max' global pooling, or null for the 4-D feature map. */
  pooling?: Pooling;
  /** Classes of the top (default 1000; must be 1000 with ImageNet weights and the top). */
  classes?: number;
  /** Activation of the top (default 'softmax'; null or 'linear' for logits). */
  classifierActivation?: string | null;
  /**
   * Initialise weights with zeros instead of random values: much faster for the big models when
   * the weights are about to be loaded anyway, or only the structure is wanted (model info).
   */
  fastInit?: boolean;
}

/** Keras `imagenet_utils.obtain_input_shape` for channels_last. */
export function obtainInputShape(
  inputShape: InputShape | undefined,
  defaultSize: number,
  minSize: number,
  requireFlatten: boolean,
  weights: string | null | undefined,
  model: string,
): InputShape {
  if (inputShape && inputShape.length !== 3) throw new UserError(`${model}: input shape must be [rows, cols, channels], got [${inputShape.join(', ')}]`);
  const defaultShape: InputShape = weights !== 'imagenet' && inputShape ? [defaultSize, defaultSize, inputShape[2]] : [defaultSize, defaultSize, 3];
  if (weights === 'imagenet' && requireFlatten) {
    if (inputShape && (inputShape[0] !== defaultShape[0] || inputShape[1] !== defaultShape[1] || inputShape[2] !== defaultShape[2])) {
      throw new UserError(`${model}: with the top and ImageNet weights the input must be ${defaultShape.join('x')}, got ${inputShape.join('x')} (without the top, other sizes work)`);
    }
    return defaultShape;
  }
  let shape: InputShape;
  if (inputShape) {
    if (inputShape[2] !== 3 && weights === 'imagenet') throw new UserError(`${model}: ImageNet weights need 3 input channels, got ${inputShape[2]}`);
    if ((inputShape[0] !== null && inputShape[0] < minSize) || (inputShape[1] !== null && inputShape[1] < minSize)) {
      throw new UserError(`${model}: input size must be at least ${minSize}x${minSize}, got ${inputShape[0]}x${inputShape[1]}`);
    }
    shape = inputShape;
  } else {
    shape = requireFlatten ? defaultShape : [null, null, 3];
  }
  if (requireFlatten && (shape[0] === null || shape[1] === null)) throw new UserError(`${model}: with the top the input size must be fixed`);
  return shape;
}

/** Keras `imagenet_utils.correct_pad`: the zero padding that makes a strided 'valid' conv act like TF 'same'. */
export function correctPad(x: tf.SymbolicTensor, kernelSize: number): [[number, number], [number, number]] {
  const [rows, cols] = [x.shape[1], x.shape[2]];
  const adjust = rows == null || cols == null ? [1, 1] : [1 - (rows % 2), 1 - (cols % 2)];
  const correct = Math.floor(kernelSize / 2);
  return [[correct - adjust[0], correct], [correct - adjust[1], correct]];
}

/** Checks shared by every builder (Keras raises the same ValueErrors). */
export function checkOptions(o: ApplicationOptions, model: string): Required<Pick<ApplicationOptions, 'includeTop' | 'classes'>> & { pooling: Pooling; weights: string | null; classifierActivation: string } {
  const includeTop = o.includeTop ?? true;
  const classes = o.classes ?? 1000;
  const weights = o.weights === undefined || o.weights === null || o.weights === 'none' ? null : o.weights;
  const pooling = o.pooling ?? null;
  if (pooling !== null && pooling !== 'avg' && pooling !== 'max') throw new UserError(`${model}: pooling must be avg, max or none, got '${pooling}'`);
  if (weights === 'imagenet' && includeTop && classes !== 1000) {
    throw new UserError(`${model}: ImageNet weights with the top need classes = 1000, got ${classes}`);
  }
  if (!Number.isInteger(classes) || classes < 1) throw new UserError(`${model}: classes must be a whole number ≥ 1, got ${classes}`);
  const act = o.classifierActivation === undefined ? 'softmax' : o.classifierActivation === null ? 'linear' : o.classifierActivation;
  if (weights !== null && includeTop && act !== 'softmax' && act !== 'linear') {
    throw new UserError(`${model}: with pretrained weights the classifier activation can only be softmax or none, got '${act}'`);
  }
  return { includeTop, classes, weights, pooling, classifierActivation: act };
}

/**
 * Builds a functional graph: applies layers, names unnamed ones the way Keras does (per class,
 * zero-based: `max_pooling2d`, `max_pooling2d_1`), and optionally asks for zero init.
 */
export class Graph {
  private readonly counts = new Map<string, number>();

  constructor(private readonly fastInit = false) {
    registerKerasLayers();
  }

  /** Keras' automatic name for the next layer of this (snake_case) kind in this model. */
  autoName(kind: string): string {
    const n = this.counts.get(kind) ?? 0;
    this.counts.set(kind, n + 1);
    return n === 0 ? kind : `${kind}_${n}`;
  }

  input(shape: InputShape): tf.SymbolicTensor {
    // Keras 2 numbers inputs from 1 (`input_1`), everything else from 0.
    return tf.input({ shape, name: 'input_1' });
  }

  apply<L extends tf.layers.Layer>(layer: L, x: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor {
    if (this.fastInit) (layer as unknown as { setFastWeightInitDuringBuild(v: boolean): void }).setFastWeightInitDuringBuild(true);
    return layer.apply(x) as tf.SymbolicTensor;
  }
}

/** The Keras application's top, or its pooling when there is no top. */
export function globalPool(g: Graph, x: tf.SymbolicTensor, pooling: Pooling, names: { avg?: string; max?: string } = {}): tf.SymbolicTensor {
  if (pooling === 'avg') return g.apply(tf.layers.globalAveragePooling2d({ name: names.avg ?? g.autoName('global_average_pooling2d') }), x);
  if (pooling === 'max') return g.apply(tf.layers.globalMaxPooling2d({ name: names.max ?? g.autoName('global_max_pooling2d') }), x);
  return x;
}

/** Where Keras downloads an application's ImageNet weights from. */
export interface ImagenetFile {
  fname: string;
  origin: string;
  /** As pinned in the Keras sources (md5 when 32 hex digits, sha256 when 64); null where Keras pins none. */
  fileHash: string | null;
}

/** What `weights` loaded, for a one-line report. */
export interface WeightsReport {
  source: string;
  path: string;
  assigned: number;
  tensors: number;
  values: number;
}

/** Load `weights` ('imagenet', a file, or null) into a freshly built application model. */
export async function loadApplicationWeights(model: tf.LayersModel, weights: string | null, imagenet: () => ImagenetFile): Promise<WeightsReport | null> {
  if (weights === null || weights === 'none') return null;
  const { getFile } = await import('../keras/get_file.ts');
  const { loadKerasWeights } = await import('../keras/weights.ts');
  let path = weights;
  let source = 'file';
  if (weights === 'imagenet') {
    const spec = imagenet();
    path = await getFile(spec.fname, spec.origin, { fileHash: spec.fileHash, cacheSubdir: 'models' });
    source = 'imagenet';
  }
  const r = await loadKerasWeights(model, path);
  return { source, path, assigned: r.assigned, tensors: r.tensors, values: r.values };
}

/** Attach what was loaded to the model (read by `model info` and by callers that report it). */
export function noteWeights(model: tf.LayersModel, report: WeightsReport | null): tf.LayersModel {
  (model as tf.LayersModel & { kerasWeights?: WeightsReport | null }).kerasWeights = report;
  return model;
}

export function weightsOf(model: tf.LayersModel): WeightsReport | null | undefined {
  return (model as tf.LayersModel & { kerasWeights?: WeightsReport | null }).kerasWeights;
}

/**
 * Keras' `imagenet_utils.preprocess_input` modes: what each application's ImageNet weights expect
 * of RGB pixels in [0, 255]. 'caffe': RGB→BGR and minus the ImageNet BGR mean; 'tf': scaled to
 * [-1, 1]; 'torch': to [0, 1] then standardised with the ImageNet mean/std; 'none': as they are
 * (EfficientNet rescales inside the model).
 */
export type PreprocessMode = 'caffe' | 'tf' | 'torch' | 'none';

export const PREPROCESS_MODE: Record<string, PreprocessMode> = {
  vgg16: 'caffe',
  resnet50v2: 'tf', resnet101v2: 'tf', resnet152v2: 'tf',
  efficientnetb0: 'none', efficientnetb1: 'none', efficientnetb2: 'none', efficientnetb3: 'none',
  efficientnetb4: 'none', efficientnetb5: 'none', efficientnetb6: 'none', efficientnetb7: 'none',
  mobilenet: 'tf', 'mobilenet_0.25': 'tf', 'mobilenet_0.50': 'tf', 'mobilenet_0.75': 'tf', 'mobilenet_1.00': 'tf',
  mobilenetv2: 'tf',
};

/** Keras' preprocess_input for NHWC RGB pixels in [0, 255]. */
export function preprocessInput(x: tf.Tensor4D, mode: PreprocessMode): tf.Tensor4D {
  return tf.tidy(() => {
    switch (mode) {
      case 'tf':
        return tf.sub(tf.div(x, 127.5), 1) as tf.Tensor4D;
      case 'torch':
        return tf.div(tf.sub(tf.div(x, 255), [0.485, 0.456, 0.406]), [0.229, 0.224, 0.225]) as tf.Tensor4D;
      case 'caffe':
        return tf.sub(tf.reverse(x, -1), [103.939, 116.779, 123.68]) as tf.Tensor4D;
      default:
        return tf.clone(x);
    }
  });
}
