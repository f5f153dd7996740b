/**
 * Shared plumbing for the gradient kernels in this folder: run other kernels of the `wasm` backend
 * (its XNNPACK convolutions, transposes, pads, sums) directly on `TensorInfo`s, and free every
 * intermediate afterwards.
 *
 * Why not `tf.*` ops inside a kernel: the engine would wrap each intermediate in a tracked Tensor
 * (scope bookkeeping, one more object per step) for nothing; calling the registered wasm kernel
 * functions is exactly what tfjs-backend-wasm's own composite kernels do (e.g. BatchMatMul calls
 * Reshape). Intermediates live only on the wasm heap and are released with `backend.disposeData`,
 * so `tf.memory().numTensors` and the backend's data-id count are unchanged after a kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type Info = tf.TensorInfo;
export type Pads = [number, number];

/** Collects the intermediates of one kernel invocation; `dispose` frees all but the kept result. */
export class KernelScope {
  private readonly temps: Info[] = [];

  constructor(readonly backend: BackendWasm) {}

  /** Run the wasm kernel `name` and remember its output for disposal. */
  run(name: string, inputs: tf.NamedTensorInfoMap, attrs: object = {}): Info {
    const kernel = tf.getKernel(name, 'wasm');
    if (!kernel) throw new Error(`wasm gradient kernels need the wasm kernel '${name}', which is not registered`);
    const out = kernel.kernelFunc({ inputs, backend: this.backend, attrs: attrs as tf.NamedAttrMap });
    if (Array.isArray(out)) throw new Error(`wasm kernel '${name}' returned several outputs; expected one`);
    this.temps.push(out);
    return out;
  }

  /** A fresh float32 tensor on the wasm heap (contents undefined), freed with the scope. */
  alloc(shape: number[]): Info {
    const t = this.backend.makeOutput(shape, 'float32');
    this.temps.push(t);
    return t;
  }

  /** Free an intermediate now rather than at the end (keeps the heap small in loops). */
  free(t: Info): void {
    const i = this.temps.lastIndexOf(t);
    if (i < 0) throw new Error('KernelScope.free: not an intermediate of this scope');
    this.temps.splice(i, 1);
    this.backend.disposeData(t.dataId);
  }

  /** Free view: wasm's Reshape only bumps the data's reference count. */
  reshape(x: Info, shape: number[]): Info {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: Info, perm: number[]): Info {
    return this.run('Transpose', { x }, { perm });
  }

  /** Zero padding, `paddings` one [before, after] pair per dimension. */
  pad(x: Info, paddings: Pads[]): Info {
    if (paddings.every(([a, b]) => a === 0 && b === 0)) return x;
    return this.run('PadV2', { x }, { paddings, constantValue: 0 });
  }

  slice(x: Info, begin: number[], size: number[]): Info {
    if (begin.every((b) => b === 0) && size.every((s, i) => s === x.shape[i])) return x;
    return this.run('Slice', { x }, { begin, size });
  }

  sum(x: Info, axis: number[]): Info {
    return this.run('Sum', { x }, { axis, keepDims: false });
  }

  /** Take `t` out of the disposal list: it becomes the kernel's output, owned by the engine. */
  keep(t: Info): Info {
    // A reshape shares its source's data and holds its own reference, so dropping only this
    // entry is enough: the source's reference is released in `dispose`, this one survives.
    const i = this.temps.lastIndexOf(t);
    if (i < 0) throw new Error('KernelScope.keep: not an intermediate of this scope (would alias an input)');
    this.temps.splice(i, 1);
    return t;
  }

  dispose(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
  }
}

/** Run `fn` with a fresh scope; intermediates are freed even when `fn` throws. */
export function withScope(backend: unknown, fn: (s: KernelScope) => Info): Info {
  const scope = new KernelScope(backend as unknown as BackendWasm);
  try {
    return scope.keep(fn(scope));
  } finally {
    scope.dispose();
  }
}

/** The attributes of a convolution gradient kernel that describe its forward convolution. */
export interface ConvGradAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * The forward convolution a gradient kernel belongs to, for NHWC `xShape` and an HWIO filter (HWCM
 * with `depthwise`), after checking that dy has that convolution's output shape: a mismatch is the
 * caller's bug, so it throws naming all three shapes.
 */
export function gradientConvInfo(
  kernel: string, xShape: readonly number[], filterShape: readonly number[], dyShape: readonly number[], a: ConvGradAttrs, depthwise: boolean,
): tf.backend_util.Conv2DInfo {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    a.strides, a.dilations ?? 1, a.pad as 'same', a.dimRoundingMode, depthwise, 'channelsLast',
  );
  const fits = filterShape[2] === xShape[3] && dyShape.length === 4 && info.outShape.every((d, i) => d === dyShape[i]);
  if (!fits) throw new Error(`${kernel}: x ${xShape}, dy ${dyShape} and filter ${filterShape} do not fit`);
  return info;
}

/** [h, w] from a tfjs "number or pair" attribute. */
export function pair(v: number | [number, number] | undefined, fallback = 1): [number, number] {
  if (v == null) return [fallback, fallback];
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

/**
 * Cropping/padding along one spatial axis so that an input of length `len`, read from offset
 * `-before`, covers exactly `needed` positions. Positive pads add zeros; a negative pad means
 * the convolution never reads those rows, so they are cropped instead (XNNPACK takes no
 * negative padding). Returns [cropBegin, keptLength, padBefore, padAfter].
 */
export function fitAxis(len: number, before: number, needed: number): [number, number, number, number] {
  let cropBegin = 0;
  let padBefore = before;
  if (padBefore < 0) {
    cropBegin = -padBefore;
    padBefore = 0;
  }
  let kept = len - cropBegin;
  let padAfter = needed - padBefore - kept;
  if (padAfter < 0) {
    kept += padAfter;
    padAfter = 0;
  }
  return [cropBegin, kept, padBefore, padAfter];
}
