/**
 * Plumbing shared by the native kernels: reading tensor storage without copying, the Int32Array
 * layouts the addon expects, fused-activation codes, and the fall-back to the cpu kernel of the
 * same name when a case is not handled natively (dtype, layout, broadcast shape, or an error).
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { addon, type NativeAddon } from '../addon.ts';
import { NativeBackend } from '../backend.ts';

export type Info = tf.TensorInfo;
export interface KernelArgs {
  /** Required inputs are present (the op checks); optional ones (bias, …) may be undefined. */
  inputs: Record<string, Info>;
  backend: MathBackendCPU;
  attrs: tf.NamedAttrMap;
}
/** A native implementation: its result (several for multi-output kernels), or null to let the cpu kernel handle this case. */
export type NativeImpl = (args: KernelArgs, native: NativeAddon) => Info | Info[] | null;

const warned = new Set<string>();

/** How many times each kernel ran natively (not on its cpu fallback): for tests and profiles. */
export const nativeCalls = new Map<string, number>();

/**
 * A kernel config for the 'native' backend that runs `impl` and falls back to the cpu kernel when
 * it declines (returns null) or throws. FMNIST_NATIVE_STRICT=1 (the tests) makes errors throw.
 */
export function nativeKernel(kernelName: string, impl: NativeImpl): tf.KernelConfig {
  return {
    kernelName,
    backendName: 'native',
    kernelFunc: (args) => {
      const a = args as unknown as KernelArgs;
      let out: Info | Info[] | null;
      try {
        out = impl(a, addon());
      } catch (err) {
        if (process.env.FMNIST_NATIVE_STRICT === '1') throw err;
        if (!warned.has(kernelName)) {
          warned.add(kernelName);
          const msg = err instanceof Error ? err.message : String(err);
          process.stderr.write(`native: ${kernelName} falls back to cpu (${msg})\n`);
        }
        out = null;
      }
      if (out) {
        nativeCalls.set(kernelName, (nativeCalls.get(kernelName) ?? 0) + 1);
        return out;
      }
      return cpuKernel(kernelName, a);
    },
  };
}

/** Run the cpu backend's kernel `name` (on the native backend, which is a MathBackendCPU). */
export function cpuKernel(name: string, args: KernelArgs): Info {
  const k = tf.getKernel(name, 'cpu');
  if (!k) throw new Error(`tfjs has no cpu kernel '${name}'`);
  return k.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as Info;
}

/** The float32 storage of `t` (no copy), or undefined when it is not float32 data. */
export function f32(backend: MathBackendCPU, t: Info | undefined): Float32Array | undefined {
  if (!t || t.dtype !== 'float32') return undefined;
  const values = backend.data.get(t.dataId)?.values;
  return values instanceof Float32Array ? values : undefined;
}

const tokens = new WeakMap<object, number>();
let nextToken = 1;

/**
 * A number naming the data of tensor `t`, unique for the process (0 is never used). tfjs data is
 * immutable while it lives, so the addon may keep work derived from it (reordered weights) under
 * this token and reuse it when the same tensor comes back.
 */
export function dataToken(t: Info): number {
  let k = tokens.get(t.dataId);
  if (k === undefined) tokens.set(t.dataId, (k = nextToken++));
  return k;
}

/** An array for a kernel's output, to be filled completely (from the backend's pool: see backend.ts). */
export function outputArray(backend: MathBackendCPU, length: number): Float32Array {
  return backend instanceof NativeBackend ? backend.allocFloat32(length) : new Float32Array(length);
}

/** A float32 output tensor over `values` from outputArray (handed to the backend, not copied). */
export function output(backend: MathBackendCPU, shape: number[], values: Float32Array): Info {
  return backend instanceof NativeBackend ? backend.adoptOutput(shape, values) : backend.makeTensorInfo(shape, 'float32', values);
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Conv geometry for the addon: see ConvGeom in addon/common.h. */
export function convParams(c: tf.backend_util.Conv2DInfo): Int32Array {
  return Int32Array.of(
    c.batchSize, c.inHeight, c.inWidth, c.inChannels,
    c.outHeight, c.outWidth, c.outChannels,
    c.filterHeight, c.filterWidth, c.strideHeight, c.strideWidth,
    c.dilationHeight, c.dilationWidth, c.padInfo.top, c.padInfo.left,
  );
}

/** Pooling geometry for the addon: see PoolGeom in addon/common.h. */
export function poolParams(c: tf.backend_util.Conv2DInfo): Int32Array {
  return Int32Array.of(
    c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth,
    c.filterHeight, c.filterWidth, c.strideHeight, c.strideWidth, c.padInfo.top, c.padInfo.left,
  );
}

/** Whether a conv/pool geometry has the shapes oneDNN can take as they are. */
export function plainGeometry(c: tf.backend_util.Conv2DInfo): boolean {
  return c.dataFormat === 'channelsLast' && c.outHeight > 0 && c.outWidth > 0 && c.batchSize > 0 &&
    c.padInfo.top >= 0 && c.padInfo.left >= 0;
}

/** Activation codes of addon/common.h; prelu is not among them (applied here, after the op). */
const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, elu: 3, sigmoid: 4, leakyrelu: 5 };

export function activationCode(activation: unknown): number | undefined {
  return ACTIVATIONS[(activation as string | undefined) ?? 'linear'];
}

/**
 * A bias the addon can fuse: float32 with one value per output channel (shape [C], or [..1, C]).
 * Anything else broadcasts differently and goes to the cpu kernel.
 */
export function channelBias(backend: MathBackendCPU, bias: Info | undefined, channels: number): Float32Array | null | undefined {
  if (!bias) return null;
  const v = f32(backend, bias);
  if (!v || v.length !== channels) return undefined;
  if (bias.shape.length > 0 && bias.shape[bias.shape.length - 1] !== channels) return undefined;
  if (bias.shape.length === 0 && channels !== 1) return undefined;
  return v;
}

/** Apply tfjs' prelu (cpu kernel) to `x`, freeing `x`. */
export function applyPrelu(backend: MathBackendCPU, x: Info, alpha: Info): Info {
  const out = cpuKernel('Prelu', { inputs: { x, alpha }, backend, attrs: {} });
  backend.disposeIntermediateTensorInfo(x);
  return out;
}

/** Pooling geometry oneDNN takes: NHWC, and no window that starts wholly inside the padding. */
export function plainPool(c: tf.backend_util.Conv2DInfo): boolean {
  return plainGeometry(c) && c.padInfo.top < c.filterHeight && c.padInfo.left < c.filterWidth &&
    c.dilationHeight === 1 && c.dilationWidth === 1;
}

/**
 * Below this many elements an activation stays on the cpu kernel: its JS loop (~1–2 ns per element
 * for max(x,0)) then costs about what the N-API call, argument checks and oneDNN's dispatch do
 * (~10–20 µs measured for tiny tensors), and each new size would cost a oneDNN primitive.
 */
export const ELTWISE_MIN_SIZE = 16384;

/** A standalone activation kernel (Relu, Relu6, Elu, Sigmoid, LeakyRelu) on oneDNN's eltwise. */
export function activationKernel(kernelName: string, activation: string): tf.KernelConfig {
  const code = activationCode(activation)!;
  return nativeKernel(kernelName, ({ inputs, backend, attrs }, native) => {
    const x = inputs.x as Info;
    const v = f32(backend, x);
    if (!v || v.length < ELTWISE_MIN_SIZE) return null;
    const out = outputArray(backend, v.length);
    native.eltwise(v, out, code, (attrs?.alpha as number | undefined) ?? 0.2);
    return output(backend, [...x.shape], out);
  });
}
