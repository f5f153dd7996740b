/**
 * Sum over a contiguous block of axes, natively (double accumulation, threaded). tfjs reduces every
 * bias gradient this way (all axes but the last), and its cpu kernel first transposes the tensor
 * element by element in JS. Other axis sets and non-float dtypes go to the cpu kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from '../addon.ts';
import { f32, type KernelArgs, nativeKernel, output, outputArray, sizeOf } from './shared.ts';

/** Sum (scaled by 1/count when `mean`) over contiguous axes, or null for the cpu kernel. Shared with Mean. */
export function contiguousReduce({ inputs, backend, attrs }: KernelArgs, native: NativeAddon, mean: boolean): tf.TensorInfo | null {
  const { x } = inputs;
  const { axis, keepDims } = attrs as unknown as tf.SumAttrs;
  const v = f32(backend, x);
  if (!v || v.length === 0) return null;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
  if (axes.length === 0 || axes.some((a, i) => a !== axes[0] + i)) return null;
  const first = axes[0];
  const last = axes[axes.length - 1];
  const outer = sizeOf(x.shape.slice(0, first));
  const inner = sizeOf(x.shape.slice(last + 1));
  const reduced = v.length / (outer * inner);
  const kept = x.shape.filter((_, i) => i < first || i > last);
  const outShape = keepDims ? tf.backend_util.expandShapeToKeepDim(kept, axes) : kept;
  const out = outputArray(backend, outer * inner);
  native.sum(v, out, Int32Array.of(outer, reduced, inner));
  if (mean) for (let i = 0; i < out.length; i++) out[i] /= reduced;
  return output(backend, outShape, out);
}

export const sumConfig = nativeKernel(tf.Sum, (args, native) => contiguousReduce(args, native, false));
