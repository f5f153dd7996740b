/**
 * A saved Fashion-MNIST classifier (a tfjs layers model) as an ONNX model, opset 13, that does what
 * `fmnist predict` and `evaluate` do with it:
 *
 *   input  `image`: float32 [N, 28, 28, 1], NHWC, pixel/255 in [0, 1] (the dataset's images, 0 = the
 *          black background) — the same for every model;
 *   inside the input scaling the run recorded (its training-set mean/std when standardised), then
 *          the fit to the model's own input (`toModelInput`: bilinear resize as tf.image.resizeBilinear,
 *          grey repeated to RGB, or flattened), then the network;
 *   output `probabilities`: float32 [N, classes], the model's softmax.
 *
 * The network runs in NCHW (ONNX's convolution layout) from its first convolution on, with
 * transposes only where tfjs' order matters (Flatten, Reshape, Dense on 4-D values).
 */
import type * as tf from '@tensorflow/tfjs';
import { IMAGE_SIZE } from '../../data/classes.ts';
import type { Normalization } from '../../data/preprocess.ts';
import { UserError } from '../../util/errors.ts';
import { attr, GraphBuilder, type Value } from './graph.ts';
import { CONVERTERS, unsupported } from './layers.ts';
import type { OnnxModel } from './proto.ts';

export const ONNX_OPSET = 13;
/** The IR version that opset 13 came with (ONNX 1.8). */
const IR_VERSION = 7;
export const ONNX_INPUT = 'image';
export const ONNX_OUTPUT = 'probabilities';
const BATCH = 'N';

type Shape = (number | null)[];

/** Add the nodes of `model` applied to `inputs` (one value per model input); returns its outputs. */
function convertModel(g: GraphBuilder, model: tf.LayersModel, inputs: Value[]): Value[] {
  const made = new Map<number, Value>(model.inputs.map((t, i) => [t.id, inputs[i]]));
  const compute = (t: tf.SymbolicTensor): Value => {
    const known = made.get(t.id);
    if (known) return known;
    const layer = t.sourceLayer;
    if ((t.outputTensorIndex ?? 0) > 0) unsupported(layer, 'a layer with several outputs');
    const values = t.inputs.map(compute);
    const nested = (layer as tf.LayersModel).layers ? convertModel(g, layer as tf.LayersModel, values) : null;
    if (nested && nested.length !== 1) unsupported(layer, 'a nested model with several outputs');
    let out: Value;
    if (nested) out = nested[0];
    else if (Object.hasOwn(CONVERTERS, layer.getClassName())) {
      out = CONVERTERS[layer.getClassName()]({ g, layer, inputs: values, shapes: t.inputs.map((i) => i.shape) });
    } else unsupported(layer);
    made.set(t.id, out);
    return out;
  };
  return model.outputs.map(compute);
}

/** Pixels in [0, 1] as the run scaled them for its model (fillBatch: (x − mean)/std). */
function scaleInput(g: GraphBuilder, x: Value, norm: Normalization): Value {
  if (norm.mean === 0 && norm.std === 1) return x;
  const scale = g.float('input_scale', [], [1 / norm.std]);
  const offset = g.float('input_offset', [], [-norm.mean / norm.std]);
  return { ...x, name: g.node('Add', [g.node('Mul', [x.name, scale], [], 'input_scale'), offset], [], 'input_offset') };
}

/**
 * Bilinear resize of an NCHW value to height×width, as tf.image.resizeBilinear computes it (no corner
 * alignment, no half-pixel centres: ONNX's 'asymmetric'). Opset 13 takes all four sizes, so N and C
 * come from the input's shape.
 */
function resize(g: GraphBuilder, x: Value, height: number, width: number): Value {
  const shape = g.node('Shape', [x.name], [], 'input_shape');
  const batchAndChannels = g.node('Slice', [shape, g.int64('nc_start', [0]), g.int64('nc_end', [2])], [], 'input_nc');
  const hw = g.int64('input_hw', [height, width]);
  const sizes = g.node('Concat', [batchAndChannels, hw], [attr.int('axis', 0)], 'input_sizes');
  const attrs = [attr.string('mode', 'linear'), attr.string('coordinate_transformation_mode', 'asymmetric')];
  return { ...x, name: g.node('Resize', [x.name, '', '', sizes], attrs, 'input_resize') };
}

/** The 28x28 grey batch fitted to the model's input shape, as `toModelInput` fits it. */
function fitInput(g: GraphBuilder, x: Value, inputShape: Shape): Value {
  const dims = inputShape.slice(1);
  const shown = inputShape.map((d) => d ?? 'null').join(',');
  const bad = () => new UserError(`the model's input shape [${shown}] is not one ONNX export can feed 28x28 images to`);
  if (dims.length === 1) {
    if ((dims[0] ?? IMAGE_SIZE * IMAGE_SIZE) !== IMAGE_SIZE * IMAGE_SIZE) throw bad();
    return { name: g.node('Flatten', [x.name], [attr.int('axis', 1)], 'input_flat'), rank: 2, layout: 'tf' };
  }
  if (dims.length !== 2 && dims.length !== 3) throw bad();
  const [h, w, c] = [dims[0] ?? IMAGE_SIZE, dims[1] ?? IMAGE_SIZE, dims[2] ?? 1];
  if (c !== 1 && c !== 3) throw bad();
  let y = g.nchw(x);
  if (h !== IMAGE_SIZE || w !== IMAGE_SIZE) y = resize(g, y, h, w);
  if (dims.length === 2) {
    const grid = g.node('Reshape', [y.name, g.int64('input_grid', [0, h, w])], [], 'input_grid');
    return { name: grid, rank: 3, layout: 'tf' };
  }
  if (c === 3) y = { ...y, name: g.node('Concat', [y.name, y.name, y.name], [attr.int('axis', 1)], 'input_rgb') };
  return y;
}

export interface OnnxSource {
  /** The input scaling the model was trained with (from its metadata). */
  normalization: Normalization;
  /** Recorded in the file's metadata (e.g. the run folder, class names). */
  metadata?: Record<string, string>;
  producerVersion?: string;
}

/** The ONNX model of a single-input, single-output image classifier. */
export function toOnnx(model: tf.LayersModel, source: OnnxSource): OnnxModel {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    const counts = `${model.inputs.length} inputs and ${model.outputs.length} outputs`;
    throw new UserError(`the model has ${counts}; ONNX export takes an image classifier (one of each)`);
  }
  const g = new GraphBuilder();
  g.unique(ONNX_INPUT);
  g.unique(ONNX_OUTPUT);
  const image: Value = { name: ONNX_INPUT, rank: 4, layout: 'tf' };
  const x = fitInput(g, scaleInput(g, image, source.normalization), model.inputs[0].shape);
  const [y] = convertModel(g, model, [x]);
  const out = g.tf(y);
  g.nodes.push({ name: ONNX_OUTPUT, op: 'Identity', inputs: [out.name], outputs: [ONNX_OUTPUT], attributes: [] });
  const classes = model.outputs[0].shape.slice(1) as number[];
  return {
    irVersion: IR_VERSION,
    opset: ONNX_OPSET,
    producerName: 'fashion-mnist-lab',
    producerVersion: source.producerVersion ?? '',
    docString: `${model.name}: ${ONNX_INPUT} float32 [N,28,28,1] NHWC, pixel/255 in [0,1] → ` +
      `${ONNX_OUTPUT} float32 [N,${classes.join(',')}]`,
    graph: {
      name: model.name,
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [{ name: ONNX_INPUT, shape: [BATCH, IMAGE_SIZE, IMAGE_SIZE, 1] }],
      outputs: [{ name: ONNX_OUTPUT, shape: [BATCH, ...classes] }],
    },
    metadata: source.metadata ?? {},
  };
}
