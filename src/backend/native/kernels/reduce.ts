/**
 * What Sum and Mean share: a reduction over a contiguous block of axes, viewed as
 * [outer, reduced, inner] and summed natively (addon/sum.cc), with no transpose. Null (the cpu
 * kernel's case) for other axis sets and non-float32 input.
 */
import * as tf from '@tensorflow/tfjs';
import type { NativeAddon } from '../addon.ts';
import { f32, type Info, type KernelArgs, output, outputArray, sizeOf } from './shared.ts';

/** The sum of `x` over `axis`, each output value multiplied by `scale(reduced count)`. */
export function reduceContiguous({ inputs, backend, attrs }: KernelArgs, native: NativeAddon, scale: (reduced: number) => number): Info | null {
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
  const s = scale(reduced);
  if (s !== 1) for (let i = 0; i < out.length; i++) out[i] *= s;
  return output(backend, outShape, out);
}
