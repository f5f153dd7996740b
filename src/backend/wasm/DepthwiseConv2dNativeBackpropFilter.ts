/**
 * DepthwiseConv2dNativeBackpropFilter for the wasm backend: dW = ∂loss/∂filter of a depthwise
 * convolution. Needed by the gradient of DepthwiseConv2dNative and FusedDepthwiseConv2D, i.e. by
 * every trainable depthwiseConv2d / separableConv2d layer (MobileNet, EfficientNet);
 * tfjs-backend-wasm 4.22 lacks it.
 *
 *   dW[i, j, c, m] = Σ_{b, oy, ox} x[b, oy·sh + i·dh − padTop, ox·sw + j·dw − padLeft, c] · dy[b, oy, ox, c·M + m]
 *
 * A JS loop straight on the wasm heap — measurement says it beats every route through wasm's own
 * kernels here. Each weight needs only kh·kw multiply-adds per input element, and XNNPACK must
 * first "pack" whichever operand plays the weights (both are fresh activations every step) at
 * ~10–14 ns per element on this build, more than the arithmetic. The loop keeps one running sum
 * per (tap, channel) in a register while walking a row (stride c floats, the row is in L1) and
 * adds it to a float64 accumulator (like tfjs-backend-cpu, which sums in JS numbers).
 *
 * Measured (process CPU time, min of 6, SIMD build, 1 thread, ms; 3×3/5×5 stride 1 same):
 *                               this loop   XNNPACK depthwise trick¹   per-tap Slice·Multiply·AvgPool   forward
 *   x[64,28,28,32]  3×3           67            104                        157                        6
 *   x[64,14,14,144] 5×5          112            123                        562                       17
 *   x[32,56,56,16]  3×3           42             90                        105                        4
 *   x[64,7,7,320]   3×3           23             40                         97                        3
 * ¹ the per-channel correlation as one DepthwiseConv2dNative of x as [1, h, w, b·c] with dy as
 *   [oh, ow, b·c, M] for filter (stride = dilation, dilation = stride), then a sum over b.
 * Still ~10× the forward pass: the one wasm-side kernel family that would do better (a SIMD
 * correlation without weight packing) does not exist in tfjs-backend-wasm.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { gradientConvInfo, pair, type Info } from './kernel_scope.ts';

export const depthwiseConv2dNativeBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: Info; dy: Info };
    const { strides, dilations, pad, dimRoundingMode, filterShape } =
      attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
    if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
      throw new Error('wasm DepthwiseConv2dNativeBackpropFilter supports float32 only');
    }
    const [b, h, w, c] = x.shape;
    const [kh, kw, , m] = filterShape;
    const info = gradientConvInfo('DepthwiseConv2dNativeBackpropFilter', x.shape, filterShape, dy.shape, { strides, dilations, pad, dimRoundingMode }, true);
    const { outHeight: oh, outWidth: ow } = info;
    const cm = c * m;
    const [sh, sw] = pair(strides);
    const [dh, dw] = pair(dilations);
    const { top, left } = info.padInfo;

    const heap = backend as BackendWasm;
    const out = heap.makeOutput(filterShape, 'float32');
    // The only allocation is behind us, so these views of the heap stay valid.
    const xv = heap.typedArrayFromHeap(x) as Float32Array;
    const dv = heap.typedArrayFromHeap(dy) as Float32Array;
    const acc = new Float64Array(kh * kw * cm);
    for (let bb = 0; bb < b; bb++) {
      for (let y = 0; y < oh; y++) {
        const dRow = (bb * oh + y) * ow * cm;
        for (let i = 0; i < kh; i++) {
          const iy = y * sh + i * dh - top;
          if (iy < 0 || iy >= h) continue;
          const xRow = (bb * h + iy) * w;
          for (let j = 0; j < kw; j++) {
            // Output columns ox whose input column ox·sw + j·dw − left lies in [0, w).
            const x0 = Math.max(0, Math.ceil((left - j * dw) / sw));
            const x1 = Math.min(ow, Math.floor((w - 1 + left - j * dw) / sw) + 1);
            if (x1 <= x0) continue;
            const xBase = (xRow + x0 * sw + j * dw - left) * c;
            const dBase = dRow + x0 * cm;
            const n = x1 - x0;
            const xStep = sw * c;
            const tap = (i * kw + j) * cm;
            for (let q = 0; q < c; q++) {
              for (let mm = 0; mm < m; mm++) {
                const oc = q * m + mm;
                let sum = 0;
                let xi = xBase + q;
                let di = dBase + oc;
                for (let t = 0; t < n; t++, xi += xStep, di += cm) sum += xv[xi] * dv[di];
                acc[tap + oc] += sum;
              }
            }
          }
        }
      }
    }
    (heap.typedArrayFromHeap(out) as Float32Array).set(acc);
    return out;
  },
};
