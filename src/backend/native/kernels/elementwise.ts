/**
 * The native elementwise kernels' common part: broadcast planning for binary ops and the kernel
 * factories. Op and broadcast codes match addon/binary.cc, addon/unary.cc and addon/activation_grad.cc.
 *
 * Below ELEMENTWISE_MIN_SIZE elements the cpu kernel runs instead: its JS loop (~5–10 ns per
 * element through tfjs' generic binary/unary helpers) then costs about what the N-API call and
 * argument checks do (~3 µs, measured).
 */
import * as tf from '@tensorflow/tfjs';
import { f32, type Info, nativeKernel, output, outputArray, sizeOf } from './shared.ts';

export const ELEMENTWISE_MIN_SIZE = 512;

export const BINARY_OPS = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5, squaredDifference: 6 } as const;
export const UNARY_OPS = { step: 0, sqrt: 1, rsqrt: 2, square: 3, neg: 4, exp: 5, log: 6, abs: 7, reciprocal: 8, clip: 9, swish: 10 } as const;
export const ACTIVATION_GRAD_OPS = { rangeOpenLow: 0, rangeClosedLow: 1, swish: 2 } as const; // addon/activation_grad.cc

const enum Broadcast { Same = 0, ScalarA = 1, ScalarB = 2, RowB = 3, RowA = 4, ColB = 5, ColA = 6, MidB = 7, MidA = 8 }

/** The output is [outer, mid, inner]; mid is 1 except for the Mid modes. */
export interface BroadcastPlan { mode: Broadcast; outer: number; inner: number; mid: number; outShape: number[] }

/**
 * How the smaller operand lines up with the output: a suffix of the output's axes ("row": it
 * repeats for every leading index), a prefix ("col": each of its values covers a block of
 * trailing indices), or a prefix and a suffix with repeated axes between ("mid": [N,1,1,C] against
 * [N,H,W,C]). Axes of size 1 in the output are ignored. Null for anything else.
 */
function lineUp(small: readonly number[], out: readonly number[]): { kind: 'row' | 'col' | 'mid'; outer: number; inner: number; mid: number } | null {
  const padded = [...new Array<number>(out.length - small.length).fill(1), ...small];
  const tags: ('keep' | 'bcast')[] = [];
  let kept = 1;
  let bcast = 1;
  for (let i = 0; i < out.length; i++) {
    if (out[i] === 1) continue;
    if (padded[i] === out[i]) { tags.push('keep'); kept *= out[i]; } else { tags.push('bcast'); bcast *= out[i]; }
  }
  const firstKeep = tags.indexOf('keep');
  const lastBcast = tags.lastIndexOf('bcast');
  if (firstKeep < 0 || lastBcast < firstKeep) return { kind: 'row', outer: bcast, inner: kept, mid: 1 };
  const firstBcast = tags.indexOf('bcast');
  const lastKeep = tags.lastIndexOf('keep');
  if (lastKeep < firstBcast) return { kind: 'col', outer: kept, inner: bcast, mid: 1 };
  // keep… bcast… keep…: one block of repeated axes between kept ones.
  if (tags.slice(firstBcast, lastBcast + 1).every((t) => t === 'bcast') && tags.slice(lastBcast + 1).every((t) => t === 'keep')) {
    const dims = out.filter((d) => d !== 1); // lined up with tags
    const size = (from: number, to: number) => dims.slice(from, to).reduce((p, d) => p * d, 1);
    return { kind: 'mid', outer: size(0, firstBcast), mid: size(firstBcast, lastBcast + 1), inner: size(lastBcast + 1, tags.length) };
  }
  return null;
}

export function broadcastPlan(aShape: readonly number[], bShape: readonly number[]): BroadcastPlan | null {
  let outShape: number[];
  try {
    outShape = tf.backend_util.assertAndGetBroadcastShape(aShape as number[], bShape as number[]);
  } catch {
    return null;
  }
  const n = sizeOf(outShape);
  const na = sizeOf(aShape);
  const nb = sizeOf(bShape);
  if (n === 0) return null;
  if (na === n && nb === n) return { mode: Broadcast.Same, outer: 1, inner: n, mid: 1, outShape };
  if (na === 1 && nb === n) return { mode: Broadcast.ScalarA, outer: 1, inner: n, mid: 1, outShape };
  if (nb === 1 && na === n) return { mode: Broadcast.ScalarB, outer: 1, inner: n, mid: 1, outShape };
  const modes = { row: [Broadcast.RowB, Broadcast.RowA], col: [Broadcast.ColB, Broadcast.ColA], mid: [Broadcast.MidB, Broadcast.MidA] } as const;
  const small = na === n ? bShape : nb === n ? aShape : null;
  const l = small && lineUp(small, outShape);
  if (!l) return null;
  return { mode: modes[l.kind][na === n ? 0 : 1], outer: l.outer, inner: l.inner, mid: l.mid, outShape };
}

/** A float32 binary kernel (Add, Sub, …) with the broadcasts broadcastPlan handles. */
export function binaryKernel(kernelName: string, op: number): tf.KernelConfig {
  return nativeKernel(kernelName, ({ inputs, backend }, native) => {
    const { a, b } = inputs;
    const av = f32(backend, a);
    const bv = f32(backend, b);
    if (!av || !bv || Math.max(av.length, bv.length) < ELEMENTWISE_MIN_SIZE) return null;
    const plan = broadcastPlan(a.shape, b.shape);
    if (!plan) return null;
    const out = outputArray(backend, plan.outer * plan.mid * plan.inner);
    native.binary(av, bv, out, Int32Array.of(op, plan.mode, plan.outer, plan.inner, plan.mid));
    return output(backend, plan.outShape, out);
  });
}

/**
 * A kernel of our own computing an activation's gradient dx from float32 dy and x of one size in one
 * addon pass (addon/activation_grad.cc); `args` gives its op and range from the kernel's attributes.
 */
export function activationGradKernel(kernelName: string, args: (attrs: tf.NamedAttrMap) => { op: number; lo?: number; hi?: number }): tf.KernelConfig {
  return nativeKernel(kernelName, ({ inputs, backend, attrs }, native) => {
    const { dy, x } = inputs;
    const dv = f32(backend, dy);
    const xv = f32(backend, x);
    if (!dv || !xv || dv.length !== xv.length) throw new Error(`${kernelName}: needs float32 dy and x of one size`);
    const { op, lo, hi } = args(attrs);
    const out = outputArray(backend, dv.length);
    native.activationGrad(dv, xv, out, op, lo ?? 0, hi ?? 0);
    return output(backend, [...dy.shape], out);
  });
}

/** A float32 unary kernel (Step, Sqrt, …); Step reads its `alpha` attribute. */
export function unaryKernel(kernelName: string, op: number): tf.KernelConfig {
  return nativeKernel(kernelName, ({ inputs, backend, attrs }, native) => {
    const x: Info = inputs.x;
    const v = f32(backend, x);
    if (!v || v.length < ELEMENTWISE_MIN_SIZE) return null;
    const out = outputArray(backend, v.length);
    native.unary(v, out, op, (attrs?.alpha as number | undefined) ?? 0);
    return output(backend, [...x.shape], out);
  });
}
