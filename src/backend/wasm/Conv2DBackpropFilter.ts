/**
 * Conv2DBackpropFilter for the wasm backend: dW = ∂loss/∂filter of a 2-D convolution.
 * Needed by the gradient of every Conv2D and FusedConv2D (tfjs-core's conv2DGradConfig and fused
 * conv2d's custom gradient), i.e. by every trainable conv layer; tfjs-backend-wasm 4.22 lacks it.
 *
 *   dW[kh, kw, ci, co] = Σ_{b, oh, ow} x[b, oh·s + kh − padTop, ow·s + kw − padLeft, ci] · dy[b, oh, ow, co]
 *
 * That sum is itself a convolution, so it runs in wasm's XNNPACK Conv2D (SIMD igemm):
 *   input  xᵀ  = x as [ci, h, w, b]     (ci plays the batch, the batch plays the channels)
 *   filter dyᵀ = dy as [oh, ow, b, co]  (the output gradient is the filter)
 *   stride 1, dilation = the forward stride, explicit padding = the forward top/left padding and
 *   whatever bottom/right padding (or cropping of unread rows) makes the output exactly kh × kw
 *   → [ci, kh, kw, co], transposed to the filter layout [kh, kw, ci, co].
 * XNNPACK walks x through an indirection buffer, so no im2col matrix is materialised.
 *
 * 1×1 filters (ResNet shortcuts, MobileNet/EfficientNet expand/project convs) take a direct GEMM
 * instead: dW[ci, co] = xₛᵀ[ci, N] · dy[N, co] with xₛ the (strided) input pixels, N = b·oh·ow, run
 * as an XNNPACK 1×1 Conv2D. With stride 2 the trick above would transpose all of x to read a
 * quarter of it, and XNNPACK's dilated igemm was slower for these shapes.
 *
 * Measured (process CPU time, min of 11 runs with a fresh dy each, SIMD build, 1 thread, ms):
 *                                            this kernel   im2colᵀ(JS)+GEMM   JS MAC loop   cpu backend
 *   LeNet conv1 x[64,28,28,1]  5×5→6  same          4.3          7.2               51          2535
 *   LeNet conv2 x[64,14,14,6]  5×5→16 valid         2.6          6.1              101          6107
 *   ResNet x[64,28,28,16] 3×3→32 stride 2 same     13.3         15.9              256         25045
 *   1×1 stride 2 x[64,28,28,16]→32                  5.9 (trick: 14.1)              39          4146
 *   VGG x[64,28,28,32] 3×3→32 same                  87          114               2590        161634
 * (Wall-clock figures on the shared 2-core box were 1.5–2× these and noisy.) The "JS MAC loop" is a
 * plain triple loop over the wasm heap, the "cpu backend" column is tfjs' own JS kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { gradientConvInfo, fitAxis, pair, withScope, type KernelScope, type Info } from './kernel_scope.ts';

export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: Info; dy: Info };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    if (x.dtype !== 'float32' || dy.dtype !== 'float32') throw new Error('wasm Conv2DBackpropFilter supports float32 only');
    const channelsLast = tf.backend_util.convertConv2DDataFormat(dataFormat) === 'channelsLast';
    return withScope(backend, (s) => {
      // NCHW: bring both operands to NHWC first (one transpose each); the filter layout is shared.
      const xs = channelsLast ? x : s.transpose(x, [0, 2, 3, 1]);
      const dys = channelsLast ? dy : s.transpose(dy, [0, 2, 3, 1]);
      const [b, h, w, ci] = xs.shape;
      const [kh, kw, , co] = filterShape;
      const info = gradientConvInfo('Conv2DBackpropFilter', xs.shape, filterShape, dys.shape, { strides, pad, dimRoundingMode }, false);
      const { outHeight: oh, outWidth: ow } = info;
      const [sh, sw] = pair(strides);
      const { top, left } = info.padInfo;
      if (kh === 1 && kw === 1 && top === 0 && left === 0) return pointwise(s, xs, dys, [b, h, w, ci], oh, ow, co, sh, sw);

      // Rows of x the forward pass reads: −top … (oh−1)·sh + kh − 1 − top; likewise columns.
      const [cropT, keptH, padT, padB] = fitAxis(h, top, (oh - 1) * sh + kh);
      const [cropL, keptW, padL, padR] = fitAxis(w, left, (ow - 1) * sw + kw);
      const xc = s.slice(xs, [0, cropT, cropL, 0], [b, keptH, keptW, ci]);
      const xT = s.transpose(xc, [3, 1, 2, 0]); // [ci, h', w', b]
      const dyT = s.transpose(dys, [1, 2, 0, 3]); // [oh, ow, b, co]
      const conv = s.run('Conv2D', { x: xT, filter: dyT }, {
        strides: [1, 1],
        dilations: [sh, sw],
        pad: [[0, 0], [padT, padB], [padL, padR], [0, 0]],
        dataFormat: 'NHWC',
      }); // [ci, kh, kw, co]
      return ci === 1 ? s.reshape(conv, filterShape) : s.transpose(conv, [1, 2, 0, 3]);
    });
  },
};

/** 1×1 filter, no padding: dW[0, 0, ci, co] = Σ_n x[b, y·sh, ox·sw, ci] · dy[n, co]. */
function pointwise(
  s: KernelScope, x: Info, dy: Info, [b, h, w, ci]: number[], oh: number, ow: number, co: number, sh: number, sw: number,
): Info {
  const n = b * oh * ow;
  let pixels = x; // [N, ci] once the strided pixels are gathered
  if (oh !== h || ow !== w) {
    pixels = s.alloc([b, oh, ow, ci]);
    const xv = s.backend.typedArrayFromHeap(x) as Float32Array;
    const pv = s.backend.typedArrayFromHeap(pixels) as Float32Array;
    for (let bb = 0, o = 0; bb < b; bb++) {
      for (let y = 0; y < oh; y++) {
        for (let ox = 0; ox < ow; ox++, o += ci) {
          const src = ((bb * h + y * sh) * w + ox * sw) * ci;
          for (let c = 0; c < ci; c++) pv[o + c] = xv[src + c];
        }
      }
    }
  }
  // XNNPACK's GEMM wants the ci output rows as "pixels" and N as their channels: xₛᵀ as [1, 1, ci, N].
  const cols = ci === 1 ? s.reshape(pixels, [1, 1, 1, n]) : s.reshape(s.transpose(s.reshape(pixels, [n, ci]), [1, 0]), [1, 1, ci, n]);
  const gemm = s.run('Conv2D', { x: cols, filter: s.reshape(dy, [1, 1, n, co]) }, {
    strides: [1, 1], dilations: [1, 1], pad: 'valid', dataFormat: 'NHWC',
  }); // [1, 1, ci, co]
  return gemm;
}
