/**
 * Each tfjs layer class as ONNX operators (opset 13), in inference mode: a table from class name to
 * a function that adds the layer's nodes and returns its output value. Weights become initializers
 * named after the layer's own (`conv_dw_1/depthwise_kernel`), transposed where ONNX wants another
 * order (convolution kernels [out, in, kh, kw]).
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../util/errors.ts';
import { portableLayer } from '../portable.ts';
import type { Nested } from '../layers.ts';
import { attr, nchwAxis, type GraphBuilder, type Value } from './graph.ts';
import type { OnnxAttribute } from './proto.ts';

type Attrs = OnnxAttribute[];

type Config = Record<string, unknown>;
type Shape = (number | null)[];

/** What a converter gets: the graph, the layer, its input values and their tfjs shapes. */
export interface LayerCall {
  g: GraphBuilder;
  layer: tf.layers.Layer;
  inputs: Value[];
  shapes: Shape[];
}

type Converter = (c: LayerCall) => Value;

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0], v[1] ?? v[0]] : [v as number, v as number]);

type Weight = { shape: number[]; values: Float32Array };
type Pair = [number, number];

/** A layer's weights by their own short names (`kernel`, `moving_mean`, …), as float arrays with shapes. */
function weights(layer: tf.layers.Layer): Map<string, Weight> {
  const values = layer.getWeights();
  return new Map(layer.weights.map((w, i) => {
    const short = w.originalName.split('/').pop()!;
    return [short, { shape: w.shape as number[], values: values[i].dataSync() as Float32Array }];
  }));
}

/** A kernel in another axis order, as an initializer. */
function transposed(g: GraphBuilder, name: string, w: Weight, perm: number[], shape?: number[]): string {
  const t = tf.tidy(() => tf.transpose(tf.tensor(w.values, w.shape), perm));
  const out = g.float(name, shape ?? t.shape, t.dataSync());
  t.dispose();
  return out;
}

/**
 * ONNX pads [top, left, bottom, right] for tfjs padding: 'same' as TensorFlow pads (the odd pixel
 * at the end); null when the map's size is unknown (then auto_pad SAME_UPPER, the same rule).
 */
function pads(padding: string, input: Shape, kernel: Pair, strides: Pair, dilations: Pair = [1, 1]): number[] | null {
  if (padding === 'valid') return [0, 0, 0, 0];
  const [begin, end] = [[0, 0], [0, 0]];
  for (const i of [0, 1]) {
    const size = input[1 + i];
    if (size == null) return null;
    const out = Math.ceil(size / strides[i]);
    const total = Math.max((out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - size, 0);
    begin[i] = Math.floor(total / 2);
    end[i] = total - begin[i];
  }
  return [...begin, ...end];
}

/** The spatial attributes of a convolution or pooling. */
function windowAttrs(c: Config, input: Shape, kernel: Pair, dilations?: Pair) {
  const strides = pair(c.strides ?? kernel);
  const p = pads(String(c.padding), input, kernel, strides, dilations);
  return [
    attr.ints('kernel_shape', kernel),
    attr.ints('strides', strides),
    ...(dilations ? [attr.ints('dilations', dilations)] : []),
    p ? attr.ints('pads', p) : attr.string('auto_pad', 'SAME_UPPER'),
  ];
}

function channelsLast(c: LayerCall): Config {
  const config = c.layer.getConfig() as Config;
  const format = config.dataFormat;
  if (format !== undefined && format !== 'channelsLast') unsupported(c.layer, 'channels-first data');
  return config;
}

// ---- activations

/** `v` through one node that keeps its shape and layout (`more`: further inputs). */
function through(g: GraphBuilder, v: Value, op: string, name: string, attrs: Attrs = [], more: string[] = []) {
  return { ...v, name: g.node(op, [v.name, ...more], attrs, name) };
}

const unary = (op: string) => (g: GraphBuilder, v: Value, name: string) => through(g, v, op, name);
const clip = (g: GraphBuilder, v: Value, name: string, min: number, max: number): Value =>
  through(g, v, 'Clip', name, [], [g.float(`${name}/min`, [], [min]), g.float(`${name}/max`, [], [max])]);
/** x·f(x), f one unary op or a chain of them. */
const gated = (...ops: string[]) => (g: GraphBuilder, v: Value, name: string): Value => {
  const gate = ops.reduce((x, op) => through(g, x, op, `${name}/${op.toLowerCase()}`), v);
  return through(g, v, 'Mul', name, [], [gate.name]);
};
const swish = gated('Sigmoid');

const ACTIVATIONS: Record<string, (g: GraphBuilder, v: Value, name: string) => Value> = {
  linear: (_g, v) => v,
  relu: unary('Relu'),
  relu6: (g, v, name) => clip(g, v, name, 0, 6),
  sigmoid: unary('Sigmoid'),
  tanh: unary('Tanh'),
  elu: unary('Elu'),
  selu: unary('Selu'),
  softplus: unary('Softplus'),
  softsign: unary('Softsign'),
  hardSigmoid: (g, v, name) => through(g, v, 'HardSigmoid', name, [attr.float('alpha', 0.2), attr.float('beta', 0.5)]),
  swish,
  silu: swish,
  mish: gated('Softplus', 'Tanh'),
  softmax: (g, v, name) => through(g, g.tf(v), 'Softmax', name, [attr.int('axis', -1)]),
};

function activation(c: LayerCall, v: Value, name: unknown): Value {
  const act = String(name ?? 'linear');
  if (!Object.hasOwn(ACTIVATIONS, act)) unsupported(c.layer, `activation '${act}'`);
  return ACTIVATIONS[act](c.g, v, c.layer.name);
}

// ---- layers

/** The layer's bias as an initializer, when it has one. */
function bias(c: LayerCall, w: Map<string, Weight>): string[] {
  const b = w.get('bias');
  return b ? [c.g.float(`${c.layer.name}/bias`, b.shape, b.values)] : [];
}

function conv2d(c: LayerCall): Value {
  const config = channelsLast(c);
  const w = weights(c.layer);
  const kernel = w.get('kernel')!;
  const x = c.g.nchw(c.inputs[0]);
  const inputs = [x.name, transposed(c.g, `${c.layer.name}/kernel`, kernel, [3, 2, 0, 1]), ...bias(c, w)];
  const attrs = windowAttrs(config, c.shapes[0], pair(config.kernelSize), pair(config.dilationRate ?? 1));
  const y: Value = { name: c.g.node('Conv', inputs, attrs, `${c.layer.name}/conv`), rank: 4, layout: 'nchw' };
  return activation(c, y, config.activation);
}

/** Depthwise as a grouped convolution: one group per input channel, output channel c·multiplier + m as in tfjs. */
function depthwiseConv2d(c: LayerCall): Value {
  const config = channelsLast(c);
  const w = weights(c.layer);
  const kernel = w.get('depthwise_kernel')!;
  const [kh, kw, channels, multiplier] = kernel.shape;
  const x = c.g.nchw(c.inputs[0]);
  const shape = [channels * multiplier, 1, kh, kw];
  const weight = transposed(c.g, `${c.layer.name}/depthwise_kernel`, kernel, [2, 3, 0, 1], shape);
  const inputs = [x.name, weight, ...bias(c, w)];
  const window = windowAttrs(config, c.shapes[0], [kh, kw], pair(config.dilationRate ?? 1));
  const attrs = [...window, attr.int('group', channels)];
  const y: Value = { name: c.g.node('Conv', inputs, attrs, `${c.layer.name}/conv`), rank: 4, layout: 'nchw' };
  return activation(c, y, config.activation);
}

/**
 * Pooling. After a ZeroPadding2D the zeros are values to tfjs, but ONNX Runtime fuses a zero Pad
 * into the pooling after it (PadFusion, onnxruntime/core/optimizer/pad_fusion.cc), where padding is
 * -inf to MaxPool and left out of AveragePool's mean (count_include_pad 0): measured 0.44 off on
 * ResNet50V2's pool1. So such a MaxPool takes the Max with 0 on exactly the windows that reach into
 * the padding, and such an AveragePool counts padding: right whether a runtime fuses or not.
 */
const pool = (op: 'MaxPool' | 'AveragePool'): Converter => (c) => {
  const config = channelsLast(c);
  const x = c.g.nchw(c.inputs[0]);
  const zeroPad = c.g.zeroPadded.get(x.name);
  const attrs = windowAttrs(config, c.shapes[0], pair(config.poolSize));
  if (!zeroPad) return { name: c.g.node(op, [x.name], attrs, c.layer.name), rank: 4, layout: 'nchw' };
  if (op === 'AveragePool') {
    if (config.padding !== 'valid') unsupported(c.layer, 'average pooling with padding of its own after zero padding');
    const counted = [...attrs, attr.int('count_include_pad', 1)];
    return { name: c.g.node(op, [x.name], counted, c.layer.name), rank: 4, layout: 'nchw' };
  }
  const y = c.g.node(op, [x.name], attrs, `${c.layer.name}/pool`);
  const mask = paddingWindows(c, config, zeroPad);
  return { name: c.g.node('Max', [y, mask], [], c.layer.name), rank: 4, layout: 'nchw' };
};

/** A [1, 1, rows, cols] constant over a pooling's output: 0 where the window reaches into zero padding, else -inf. */
function paddingWindows(c: LayerCall, config: Config, [top, left, bottom, right]: number[]): string {
  const [, height, width] = c.shapes[0];
  if (height == null || width == null) unsupported(c.layer, 'max pooling after zero padding on a map of unknown size');
  const kernel = pair(config.poolSize);
  const strides = pair(config.strides ?? kernel);
  const [pt, pl, pb, pr] = pads(String(config.padding), c.shapes[0], kernel, strides)!;
  const outRows = Math.floor((height + pt + pb - kernel[0]) / strides[0]) + 1;
  const outCols = Math.floor((width + pl + pr - kernel[1]) / strides[1]) + 1;
  // The window's first and last position inside the map (the pooling's own padding is -inf, ignored).
  const reaches = (i: number, k: number, s: number, own: number, size: number, before: number, after: number) => {
    const first = Math.max(i * s - own, 0);
    const last = Math.min(i * s - own + k - 1, size - 1);
    return first < before || last >= size - after;
  };
  const values = new Float32Array(outRows * outCols);
  for (let i = 0; i < outRows; i++) {
    for (let j = 0; j < outCols; j++) {
      const row = reaches(i, kernel[0], strides[0], pt, height, top, bottom);
      const col = reaches(j, kernel[1], strides[1], pl, width, left, right);
      values[i * outCols + j] = row || col ? 0 : -Infinity;
    }
  }
  return c.g.float(`${c.layer.name}/padding_windows`, [1, 1, outRows, outCols], values);
}

const globalPool = (op: 'GlobalAveragePool' | 'GlobalMaxPool'): Converter => (c) => {
  const config = channelsLast(c);
  const x = c.g.nchw(c.inputs[0]);
  const y = c.g.node(op, [x.name], [], `${c.layer.name}/pool`);
  if (config.keepdims) return { name: y, rank: 4, layout: 'nchw' };
  return { name: c.g.node('Flatten', [y], [attr.int('axis', 1)], c.layer.name), rank: 2, layout: 'tf' };
};

function batchNorm(c: LayerCall): Value {
  const config = c.layer.getConfig() as Config;
  const v = c.inputs[0];
  const axis = Number(config.axis ?? -1);
  const last = axis === -1 || axis === v.rank - 1;
  if (!last || (v.rank !== 4 && v.rank !== 2)) unsupported(c.layer, `normalising axis ${axis} of a ${v.rank}-D input`);
  const x = c.g.nchw(v);
  const w = weights(c.layer);
  const mean = w.get('moving_mean')!;
  const n = mean.values.length;
  // Without scale or centre (gamma, beta) the layer multiplies by 1 and adds 0.
  const param = (key: string, fill: number) =>
    c.g.float(`${c.layer.name}/${key}`, [n], w.get(key)?.values ?? new Float32Array(n).fill(fill));
  const params = [param('gamma', 1), param('beta', 0), param('moving_mean', 0), param('moving_variance', 1)];
  return through(c.g, x, 'BatchNormalization', c.layer.name, [attr.float('epsilon', Number(config.epsilon))], params);
}

function dense(c: LayerCall): Value {
  const config = c.layer.getConfig() as Config;
  const w = weights(c.layer);
  const x = c.g.tf(c.inputs[0]);
  const kernel = c.g.float(`${c.layer.name}/kernel`, w.get('kernel')!.shape, w.get('kernel')!.values);
  const b = bias(c, w);
  let y: string;
  if (x.rank === 2) y = c.g.node('Gemm', [x.name, kernel, ...b], [], `${c.layer.name}/gemm`);
  else {
    y = c.g.node('MatMul', [x.name, kernel], [], `${c.layer.name}/matmul`);
    if (b.length) y = c.g.node('Add', [y, b[0]], [], `${c.layer.name}/bias_add`);
  }
  return activation(c, { ...x, name: y }, config.activation);
}

/**
 * x·scale + offset with scale and offset as tfjs broadcasts them: scalars, a list along the last
 * (channel) axis, or nested lists shaped like a sample.
 */
function affine(c: LayerCall, scale: Nested, offset: Nested): Value {
  const shapeOf = (v: Nested): number[] => (Array.isArray(v) ? [v.length, ...shapeOf(v[0])] : []);
  const flat = (v: Nested): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);
  let x = c.inputs[0];
  const perChannel = [scale, offset].every((v) => !Array.isArray(v) || shapeOf(v).length === 1);
  if (!perChannel) x = c.g.tf(x);
  const constant = (key: string, v: Nested) => {
    const dims = shapeOf(v);
    // A channel list broadcasts over NCHW as [C, 1, 1].
    const shaped = x.layout === 'nchw' && dims.length === 1 ? [dims[0], 1, 1] : dims;
    return c.g.float(`${c.layer.name}/${key}`, shaped, flat(v));
  };
  let y = x.name;
  if (JSON.stringify(scale) !== '1') y = c.g.node('Mul', [y, constant('scale', scale)], [], `${c.layer.name}/scale`);
  if (flat(offset).some((v) => v !== 0)) {
    y = c.g.node('Add', [y, constant('offset', offset)], [], `${c.layer.name}/offset`);
  }
  return { ...x, name: y === x.name ? c.g.node('Identity', [y], [], c.layer.name) : y };
}

function rescaling(c: LayerCall): Value {
  const config = c.layer.getConfig() as { scale: Nested; offset?: Nested };
  return affine(c, config.scale, config.offset ?? 0);
}

/** Our Normalization (in models saved before saving folded it): the same affine map as its fold. */
function normalization(c: LayerCall): Value {
  const p = portableLayer(c.layer)!;
  return affine(c, p.config.scale as Nested, p.config.offset as Nested);
}

function zeroPadding(c: LayerCall): Value {
  const config = channelsLast(c);
  const [[top, bottom], [left, right]] = config.padding as [[number, number], [number, number]];
  const x = c.g.nchw(c.inputs[0]);
  const p = c.g.int64(`${c.layer.name}/pads`, [0, 0, top, left, 0, 0, bottom, right]);
  const y = c.g.node('Pad', [x.name, p], [attr.string('mode', 'constant')], c.layer.name);
  c.g.zeroPadded.set(y, [top, left, bottom, right]);
  return { ...x, name: y };
}

function flatten(c: LayerCall): Value {
  const x = c.g.tf(c.inputs[0]);
  return { name: c.g.node('Flatten', [x.name], [attr.int('axis', 1)], c.layer.name), rank: 2, layout: 'tf' };
}

function reshape(c: LayerCall): Value {
  const target = (c.layer.getConfig() as { targetShape: number[] }).targetShape;
  const x = c.g.tf(c.inputs[0]);
  // 0 copies the batch dimension from the input.
  const shape = c.g.int64(`${c.layer.name}/shape`, [0, ...target]);
  return { name: c.g.node('Reshape', [x.name, shape], [], c.layer.name), rank: target.length + 1, layout: 'tf' };
}

function permute(c: LayerCall): Value {
  const dims = (c.layer.getConfig() as { dims: number[] }).dims;
  const x = c.g.tf(c.inputs[0]);
  return { ...x, name: c.g.node('Transpose', [x.name], [attr.ints('perm', [0, ...dims])], c.layer.name) };
}

/** Elementwise merges: the op applied pairwise (variadic ones in one node). */
const merge = (op: string, variadic = false): Converter => (c) => {
  const values = c.g.together(c.inputs);
  if (variadic) return { ...values[0], name: c.g.node(op, values.map((v) => v.name), [], c.layer.name) };
  let y = values[0].name;
  values.slice(1).forEach((v, i) => {
    y = c.g.node(op, [y, v.name], [], i === values.length - 2 ? c.layer.name : `${c.layer.name}/${i}`);
  });
  return { ...values[0], name: y };
};

function concatenate(c: LayerCall): Value {
  const values = c.g.together(c.inputs);
  let axis = Number((c.layer.getConfig() as Config).axis ?? -1);
  if (axis < 0) axis += values[0].rank;
  if (values[0].layout === 'nchw') axis = nchwAxis(axis);
  return { ...values[0], name: c.g.node('Concat', values.map((v) => v.name), [attr.int('axis', axis)], c.layer.name) };
}

function reluLayer(c: LayerCall): Value {
  const max = (c.layer.getConfig() as { maxValue?: number | null }).maxValue;
  if (max == null) return ACTIVATIONS.relu(c.g, c.inputs[0], c.layer.name);
  return clip(c.g, c.inputs[0], c.layer.name, 0, max);
}

function softmaxLayer(c: LayerCall): Value {
  const axis = (c.layer.getConfig() as { axis?: number | number[] }).axis ?? -1;
  if (Array.isArray(axis) && axis.length !== 1) unsupported(c.layer, 'softmax over several axes');
  const x = c.g.tf(c.inputs[0]);
  return through(c.g, x, 'Softmax', c.layer.name, [attr.int('axis', Array.isArray(axis) ? axis[0] : axis)]);
}

const identity: Converter = (c) => c.inputs[0];

const withAlpha = (op: string): Converter => (c) =>
  through(c.g, c.inputs[0], op, c.layer.name, [attr.float('alpha', Number((c.layer.getConfig() as Config).alpha))]);

export const CONVERTERS: Record<string, Converter> = {
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  Dense: dense,
  BatchNormalization: batchNorm,
  MaxPooling2D: pool('MaxPool'),
  AveragePooling2D: pool('AveragePool'),
  GlobalAveragePooling2D: globalPool('GlobalAveragePool'),
  GlobalMaxPooling2D: globalPool('GlobalMaxPool'),
  ZeroPadding2D: zeroPadding,
  Flatten: flatten,
  Reshape: reshape,
  Permute: permute,
  Activation: (c) => activation(c, c.inputs[0], (c.layer.getConfig() as Config).activation),
  ReLU: reluLayer,
  LeakyReLU: withAlpha('LeakyRelu'),
  ELU: withAlpha('Elu'),
  Softmax: softmaxLayer,
  Rescaling: rescaling,
  Normalization: normalization,
  Add: merge('Sum', true),
  Subtract: merge('Sub'),
  Multiply: merge('Mul'),
  Average: merge('Mean', true),
  Maximum: merge('Max', true),
  Minimum: merge('Min', true),
  Concatenate: concatenate,
  // Inference: noise and dropout do nothing.
  Dropout: identity,
  SpatialDropout1D: identity,
  SpatialDropout2D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
};

export function unsupported(layer: tf.layers.Layer, what?: string): never {
  const detail = what ? `: ${what} has no ONNX mapping here` : ' has no ONNX mapping here';
  const supported = Object.keys(CONVERTERS).join(', ');
  throw new UserError(`layer '${layer.name}' (${layer.getClassName()})${detail}; ONNX export supports ${supported}`);
}
