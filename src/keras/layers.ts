/**
 * Keras layers that tfjs-layers 4.22 lacks, or lacks an option of, as tfjs custom layers under
 * their Keras class names, so that models using them serialise to model.json / Keras HDF5 and load
 * back (here, in tfjs, and in Python Keras):
 *
 * - `Rescaling` — x * scale + offset, where scale/offset may be per-channel lists (Keras ≥ 2.6 and
 *   EfficientNet's ImageNet variant use a list). Replaces tfjs' own `Rescaling`, which is a subset.
 * - `Normalization` — (x - mean) / max(sqrt(variance), 1e-7) with `mean`, `variance`, `count` as
 *   (non-trainable) weights, as Keras' layer stores them after `adapt()`; or fixed mean/variance
 *   given in the config; `invert` supported.
 * - `GlobalAveragePooling2D` / `GlobalMaxPooling2D` with `keepdims` (Keras ≥ 2.6; MobileNet's top
 *   uses it). Replace tfjs' own classes, which ignore `keepdims`; identical when it is false.
 * - activation `silu`: Keras 3 writes swish as 'silu'; registered as an alias of tfjs' 'swish'.
 *
 * tfjs' own `Dropout` handles EfficientNet's `noise_shape: [null, 1, 1, 1]` (a per-sample mask, the
 * "drop connect" of the blocks) and its 'swish' activation is Keras' swish; both are tested in
 * keras_layers.test.ts rather than replaced.
 *
 * Nothing is registered at import time: call `registerKerasLayers()` (idempotent) before building
 * or loading a model that uses these layers.
 */
import * as tf from '@tensorflow/tfjs';

type Kwargs = Record<string, unknown>;
type Shape = (number | null)[];

interface BaseArgs {
  name?: string;
  trainable?: boolean;
  inputShape?: Shape;
  batchInputShape?: Shape;
  dtype?: tf.DataType;
}

function one(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

function oneShape(shape: Shape | Shape[]): Shape {
  return Array.isArray(shape[0]) ? (shape as Shape[])[0] : (shape as Shape);
}

/** A Keras dtype setting as tfjs wants it: Keras 3 writes a DTypePolicy object. */
function plainArgs<T extends BaseArgs>(args: T): T {
  const a = { ...args } as T & { dtype?: unknown };
  if (a.dtype && typeof a.dtype === 'object') a.dtype = 'float32';
  return a;
}

/** An elementwise preprocessing layer: output shape = input shape, computed in float32 (images may arrive as int). */
abstract class FloatElementwise extends tf.layers.Layer {
  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  protected abstract apply32(x: tf.Tensor): tf.Tensor;

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      return this.apply32(x.dtype === 'float32' ? x : tf.cast(x, 'float32'));
    });
  }
}

// ---------------------------------------------------------------------------------------------

export interface RescalingArgs extends BaseArgs {
  scale: number | number[];
  offset?: number | number[];
}

export class Rescaling extends FloatElementwise {
  static className = 'Rescaling';
  readonly scale: number | number[];
  readonly offset: number | number[];

  constructor(args: RescalingArgs) {
    super(plainArgs(args));
    this.scale = args.scale;
    this.offset = args.offset ?? 0;
  }

  protected override apply32(x: tf.Tensor): tf.Tensor {
    return tf.add(tf.mul(x, this.scale), this.offset);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { scale: this.scale, offset: this.offset, ...super.getConfig() };
  }
}

// ---------------------------------------------------------------------------------------------

export interface NormalizationArgs extends BaseArgs {
  /** Axes kept (per-feature statistics); Keras' default -1 (channels). */
  axis?: number | number[] | null;
  /** Fixed statistics; when both are given the layer has no weights. */
  mean?: number | number[] | null;
  variance?: number | number[] | null;
  invert?: boolean;
}

/** Keras' backend.epsilon(). */
const KERAS_EPSILON = 1e-7;

/** A number, or lists of them nested to a shape (what Rescaling's scale and offset may be). */
export type Nested = number | Nested[];

/** Row-major `values` as nested lists of `shape`. */
function nest(values: number[], shape: number[]): Nested {
  if (shape.length === 0) return values[0];
  const [d, ...rest] = shape;
  const size = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: d }, (_, i) => nest(values.slice(i * size, (i + 1) * size), rest));
}

export class Normalization extends FloatElementwise {
  static className = 'Normalization';
  readonly axis: number[];
  readonly fixedMean: number | number[] | null;
  readonly fixedVariance: number | number[] | null;
  readonly invert: boolean;
  private meanVar?: tf.LayerVariable;
  private varianceVar?: tf.LayerVariable;
  private countVar?: tf.LayerVariable;
  private broadcastShape?: number[];

  constructor(args: NormalizationArgs = {}) {
    super(plainArgs(args));
    const axis = args.axis ?? -1;
    this.axis = axis === null ? [] : Array.isArray(axis) ? [...axis] : [axis];
    this.fixedMean = args.mean ?? null;
    this.fixedVariance = args.variance ?? null;
    if ((this.fixedMean === null) !== (this.fixedVariance === null)) {
      throw new Error(`Normalization '${this.name}': give both mean and variance, or neither`);
    }
    this.invert = Boolean(args.invert);
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = oneShape(inputShape);
    const rank = shape.length;
    const keep = this.axis.map((a) => (a < 0 ? a + rank : a));
    for (const a of keep) {
      if (a <= 0 || a >= rank) throw new Error(`Normalization '${this.name}': axis ${a} is out of range for input rank ${rank}`);
      if (shape[a] == null) throw new Error(`Normalization '${this.name}': axis ${a} must have a known size`);
    }
    const statShape = keep.map((a) => shape[a] as number);
    // Broadcast the per-feature statistics over the other axes (batch first).
    this.broadcastShape = shape.map((d, i) => (keep.includes(i) ? (d as number) : 1));
    if (this.fixedMean === null) {
      this.meanVar = this.addWeight('mean', statShape, 'float32', tf.initializers.zeros(), undefined, false);
      this.varianceVar = this.addWeight('variance', statShape, 'float32', tf.initializers.ones(), undefined, false);
      this.countVar = this.addWeight('count', [], 'float32', tf.initializers.zeros(), undefined, false);
    }
    this.built = true;
  }

  protected override apply32(x: tf.Tensor): tf.Tensor {
    const shape = this.broadcastShape!;
    const stat = (fixed: number | number[] | null, v: tf.LayerVariable | undefined) =>
      fixed !== null
        ? (Array.isArray(fixed) ? tf.tensor(fixed, shape) : tf.scalar(fixed))
        : tf.reshape(v!.read(), shape);
    const mean = stat(this.fixedMean, this.meanVar);
    const variance = stat(this.fixedVariance, this.varianceVar);
    const std = tf.maximum(tf.sqrt(variance), KERAS_EPSILON);
    return this.invert ? tf.add(tf.mul(x, std), mean) : tf.div(tf.sub(x, mean), std);
  }

  /**
   * This layer as y = x·scale + offset (what `apply32` computes), the statistics read now: scalars
   * when they are, a flat list when they run along the last axis only, else nested lists shaped to
   * broadcast over a sample ([rows, cols, channels] with 1 where shared). Used to write the layer as
   * a Rescaling, which tfjs has (src/keras/portable.ts).
   */
  affine(): { scale: Nested; offset: Nested } {
    if (!this.broadcastShape) throw new Error(`Normalization '${this.name}': not built yet`);
    const read = (fixed: number | number[] | null, v: tf.LayerVariable | undefined) =>
      fixed !== null ? (Array.isArray(fixed) ? fixed : [fixed]) : Array.from(v!.read().dataSync());
    const mean = read(this.fixedMean, this.meanVar);
    const variance = read(this.fixedVariance, this.varianceVar);
    const n = Math.max(mean.length, variance.length);
    const at = (a: number[], i: number) => (a.length === 1 ? a[0] : a[i]);
    const scale: number[] = [];
    const offset: number[] = [];
    for (let i = 0; i < n; i++) {
      const std = Math.max(Math.sqrt(at(variance, i)), KERAS_EPSILON);
      scale.push(this.invert ? std : 1 / std);
      offset.push(this.invert ? at(mean, i) : -at(mean, i) / std);
    }
    const sample = this.broadcastShape.slice(1);
    const shape = (values: number[]): Nested => {
      if (values.length === 1 && n === 1) return values[0];
      if (sample.slice(0, -1).every((d) => d === 1)) return values;
      return nest(values, sample);
    };
    return { scale: shape(scale), offset: shape(offset) };
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      axis: this.axis.length === 1 ? this.axis[0] : this.axis,
      mean: this.fixedMean,
      variance: this.fixedVariance,
      invert: this.invert,
      ...super.getConfig(),
    };
  }
}

// ---------------------------------------------------------------------------------------------

export interface GlobalPooling2DArgs extends BaseArgs {
  dataFormat?: 'channelsLast' | 'channelsFirst';
  keepdims?: boolean;
}

abstract class GlobalPooling2D extends tf.layers.Layer {
  readonly keepdims: boolean;
  readonly dataFormat: 'channelsLast' | 'channelsFirst';

  constructor(args: GlobalPooling2DArgs = {}) {
    super(plainArgs(args));
    this.keepdims = Boolean(args.keepdims);
    this.dataFormat = args.dataFormat ?? 'channelsLast';
    this.inputSpec = [{ ndim: 4 }];
  }

  protected abstract reduce(x: tf.Tensor, axes: number[]): tf.Tensor;

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = oneShape(inputShape);
    if (this.dataFormat === 'channelsLast') return this.keepdims ? [s[0], 1, 1, s[3]] : [s[0], s[3]];
    return this.keepdims ? [s[0], s[1], 1, 1] : [s[0], s[1]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const axes = this.dataFormat === 'channelsLast' ? [1, 2] : [2, 3];
      const y = this.reduce(x, axes);
      if (!this.keepdims) return y;
      const [n, a, , c] = x.shape as number[];
      return tf.reshape(y, this.dataFormat === 'channelsLast' ? [n, 1, 1, c] : [n, a, 1, 1]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = { dataFormat: this.dataFormat, ...super.getConfig() };
    // Written only when set, so configs of ordinary pooling stay what tfjs writes.
    if (this.keepdims) config.keepdims = true;
    return config;
  }
}

export class GlobalAveragePooling2D extends GlobalPooling2D {
  static className = 'GlobalAveragePooling2D';
  protected reduce(x: tf.Tensor, axes: number[]): tf.Tensor {
    return tf.mean(x, axes);
  }
}

export class GlobalMaxPooling2D extends GlobalPooling2D {
  static className = 'GlobalMaxPooling2D';
  protected reduce(x: tf.Tensor, axes: number[]): tf.Tensor {
    return tf.max(x, axes);
  }
}

// ---------------------------------------------------------------------------------------------

/** Keras 3's name for swish; tfjs activations are Serializable classes looked up by className. */
class Silu extends tf.serialization.Serializable {
  static className = 'silu';
  getClassName(): string {
    return 'silu';
  }
  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.mul(tf.sigmoid(x), x));
  }
}

// ---------------------------------------------------------------------------------------------

let registered = false;

/** Register the layers above with tfjs' serialization (idempotent). Call before building or loading. */
export function registerKerasLayers(): void {
  if (registered) return;
  for (const cls of [Rescaling, Normalization, GlobalAveragePooling2D, GlobalMaxPooling2D]) {
    tf.serialization.registerClass(cls as unknown as tf.serialization.SerializableConstructor<tf.layers.Layer>);
  }
  tf.serialization.registerClass(Silu as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
  registered = true;
}

/** Class names this module provides (for the importer's whitelist). */
export const KERAS_LAYER_CLASSES = ['Rescaling', 'Normalization', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D'] as const;
