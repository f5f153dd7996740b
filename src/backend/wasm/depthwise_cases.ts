/** Test cases shared by the two depthwise-convolution gradient kernel tests (test support only). */
import * as tf from '@tensorflow/tfjs';

export interface DepthwiseCase {
  b: number; h: number; w: number; c: number; m: number; k: number;
  s: number; d: number; pad: 'same' | 'valid' | number;
}

// Channels 1/3/6/16, channel multiplier 1–3, strides 1/2, dilation 2 (tfjs allows stride or
// dilation > 1, not both), same/valid/numeric padding, batch 1 and odd sizes, 3×3 and 5×5
// (EfficientNet's kernels), even and 1×1 kernels.
export const depthwiseCases: DepthwiseCase[] = [
  { b: 2, h: 9, w: 9, c: 3, m: 1, k: 3, s: 1, d: 1, pad: 'same' },
  { b: 2, h: 9, w: 9, c: 3, m: 1, k: 3, s: 2, d: 1, pad: 'same' },
  { b: 1, h: 10, w: 7, c: 1, m: 2, k: 5, s: 2, d: 1, pad: 'valid' },
  { b: 3, h: 8, w: 8, c: 6, m: 1, k: 2, s: 2, d: 1, pad: 'valid' },
  { b: 2, h: 7, w: 7, c: 16, m: 1, k: 3, s: 2, d: 1, pad: 'same' },
  { b: 1, h: 11, w: 11, c: 16, m: 1, k: 5, s: 1, d: 1, pad: 'same' },
  { b: 2, h: 6, w: 6, c: 16, m: 1, k: 5, s: 2, d: 1, pad: 'same' },
  { b: 3, h: 7, w: 9, c: 6, m: 2, k: 3, s: 1, d: 1, pad: 'valid' },
  { b: 1, h: 5, w: 5, c: 3, m: 3, k: 1, s: 2, d: 1, pad: 'valid' },
  { b: 2, h: 7, w: 7, c: 6, m: 1, k: 3, s: 1, d: 1, pad: 1 },
  { b: 2, h: 9, w: 8, c: 3, m: 1, k: 3, s: 1, d: 2, pad: 'same' },
  { b: 1, h: 11, w: 11, c: 6, m: 2, k: 3, s: 1, d: 2, pad: 'valid' },
  { b: 1, h: 13, w: 13, c: 1, m: 1, k: 5, s: 1, d: 2, pad: 'same' },
];

export function describeDepthwise(c: DepthwiseCase): string {
  return `x[${c.b},${c.h},${c.w},${c.c}] k${c.k} M${c.m} s${c.s} d${c.d} pad ${c.pad}`;
}

export function depthwiseShapes(c: DepthwiseCase): { x: number[]; dy: number[]; filter: [number, number, number, number] } {
  const filter: [number, number, number, number] = [c.k, c.k, c.c, c.m];
  const info = tf.backend_util.computeConv2DInfo([c.b, c.h, c.w, c.c], filter, c.s, c.d, c.pad, undefined, true);
  return { x: [c.b, c.h, c.w, c.c], dy: [c.b, info.outHeight, info.outWidth, c.c * c.m], filter };
}

/** The filter with d−1 zero taps inserted between taps: an undilated filter equivalent to dilation d. */
export function dilatedFilter(f: tf.Tensor, d: number): tf.Tensor {
  if (d === 1) return f.clone();
  const [kh, kw, c, m] = f.shape;
  return tf.tidy(() => {
    // [kh, 1, kw, 1, c, m] padded to [kh, d, kw, d, c, m], then the trailing d−1 zero taps dropped.
    const stuffed = tf.pad(f.reshape([kh, 1, kw, 1, c, m]), [[0, 0], [0, d - 1], [0, 0], [0, d - 1], [0, 0], [0, 0]]);
    const big = stuffed.reshape([kh * d, kw * d, c, m]);
    return tf.slice(big, [0, 0, 0, 0], [(kh - 1) * d + 1, (kw - 1) * d + 1, c, m]);
  });
}
