/** Test cases shared by the Conv2D gradient kernel tests (test support only). */
import * as tf from '@tensorflow/tfjs';

export type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
export interface ConvCase {
  b: number; h: number; w: number; ci: number; co: number;
  k: number | [number, number]; s: number | [number, number]; pad: Pad; nchw?: boolean;
}

// Channels 1/3/6/16, strides 1/2 (and 3, and non-square), same/valid/numeric/explicit padding,
// batch 1 and odd sizes, 1×1 (pointwise path), even and non-square kernels, NCHW.
export const convCases: ConvCase[] = [
  { b: 1, h: 7, w: 7, ci: 1, co: 6, k: 5, s: 1, pad: 'same' }, // LeNet conv1 shape family
  { b: 2, h: 9, w: 9, ci: 1, co: 4, k: 3, s: 2, pad: 'same' },
  { b: 3, h: 11, w: 11, ci: 3, co: 5, k: 5, s: 1, pad: 'valid' },
  { b: 1, h: 8, w: 8, ci: 3, co: 4, k: 3, s: 2, pad: 'valid' },
  { b: 2, h: 10, w: 7, ci: 6, co: 16, k: 5, s: 1, pad: 'valid' }, // LeNet conv2, non-square image
  { b: 1, h: 9, w: 9, ci: 6, co: 6, k: 3, s: 2, pad: 'same' },
  { b: 2, h: 7, w: 9, ci: 16, co: 8, k: 3, s: 1, pad: 'same' },
  { b: 3, h: 9, w: 9, ci: 16, co: 3, k: 2, s: 2, pad: 'valid' }, // even kernel, last row unread
  { b: 2, h: 8, w: 8, ci: 16, co: 32, k: 1, s: 2, pad: 'valid' }, // ResNet 1×1 stride-2 shortcut
  { b: 1, h: 5, w: 5, ci: 6, co: 3, k: 1, s: 1, pad: 'same' }, // pointwise
  { b: 2, h: 7, w: 7, ci: 1, co: 2, k: 1, s: 1, pad: 'valid' }, // pointwise, ci = 1
  { b: 2, h: 9, w: 9, ci: 3, co: 4, k: 3, s: 3, pad: 'same' },
  { b: 1, h: 6, w: 6, ci: 3, co: 2, k: 5, s: 2, pad: 'same' }, // padding larger than the stride
  { b: 2, h: 8, w: 9, ci: 3, co: 4, k: [3, 5], s: [1, 2], pad: 'same' }, // non-square kernel/stride
  { b: 1, h: 7, w: 7, ci: 6, co: 2, k: 3, s: 1, pad: 1 },
  { b: 2, h: 7, w: 8, ci: 3, co: 3, k: 3, s: 2, pad: [[0, 0], [2, 0], [1, 2], [0, 0]] },
  { b: 2, h: 7, w: 7, ci: 3, co: 4, k: 3, s: 2, pad: 'same', nchw: true },
];

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

export function describeConv(c: ConvCase): string {
  return `x[${c.b},${c.h},${c.w},${c.ci}] k${c.k} co${c.co} s${c.s} pad ${JSON.stringify(c.pad)}${c.nchw ? ' NCHW' : ''}`;
}

export function convShapes(c: ConvCase): { x: number[]; dy: number[]; filter: [number, number, number, number] } {
  const [kh, kw] = pair(c.k);
  const filter: [number, number, number, number] = [kh, kw, c.ci, c.co];
  const info = tf.backend_util.computeConv2DInfo([c.b, c.h, c.w, c.ci], filter, c.s, 1, c.pad);
  const nhwcDy = [c.b, info.outHeight, info.outWidth, c.co];
  return c.nchw
    ? { x: [c.b, c.ci, c.h, c.w], dy: [c.b, c.co, info.outHeight, info.outWidth], filter }
    : { x: [c.b, c.h, c.w, c.ci], dy: nhwcDy, filter };
}

