/**
 * MaxPoolGrad for the wasm backend, meant to REPLACE the one tfjs-backend-wasm 4.22 ships (see
 * register.ts). That one is wrong: it starts each window's maximum at
 * std::numeric_limits<float>::min() (the smallest *positive* float), so a window without a positive
 * value loses its gradient, and it sends ties to the last maximum. It is also slow (a scalar pass
 * that records every window's argmax, then one that tests every dx element against it).
 *
 * Here: one pass over the output windows. For each window the first maximal input (scan order rows
 * then columns, strict `>`, padding ignored, NaN never chosen — exactly tfjs-backend-cpu's
 * maxPoolPositions rule) receives dy. The loop runs in JS directly on the wasm heap, channel index
 * innermost so reads and writes are contiguous. There is no XNNPACK kernel for this (it is a
 * scatter, not a convolution or a pooling), and composing wasm ops (upsample the max, compare,
 * mask, multiply) would need 4+ full passes and still mis-handle ties.
 *
 * Measured (process CPU time, min of 10, same process, ms)   native   this   (forward MaxPool)
 *   x[64,28,28,6]  2×2 stride 2 (LeNet pool 1)                7.8     4.1         0.3
 *   x[64,10,10,16] 2×2 stride 2 (LeNet pool 2)                2.7     1.0         0.1
 * (steady state after JIT warm-up: ≈2.7 ms for the first; the box was shared and loaded.)
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { Info } from './kernel_scope.ts';

export const maxPoolGradConfig: tf.KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs as { dy: Info; input: Info };
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
    if (dy.dtype !== 'float32' || input.dtype !== 'float32') throw new Error('wasm MaxPoolGrad supports float32 only');
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode,
    );
    const { batchSize: b, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
    const heap = backend as BackendWasm;
    const dx = heap.makeOutput(input.shape, 'float32');
    // One allocation happened (dx) and none follows, so these heap views stay valid.
    const xv = heap.typedArrayFromHeap(input) as Float32Array;
    const dyv = heap.typedArrayFromHeap(dy) as Float32Array;
    const dxv = heap.typedArrayFromHeap(dx) as Float32Array;
    dxv.fill(0);
    // Running maximum and its dx index for every (window, channel) of one output row; filled once per
    // row (two fill calls per window cost more than the comparisons for 2×2 windows).
    const best = new Float32Array(ow * c);
    const where = new Int32Array(ow * c);
    const { strideHeight: sh, strideWidth: sw, effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
    const { top, left } = info.padInfo;
    for (let bb = 0; bb < b; bb++) {
      for (let y = 0; y < oh; y++) {
        best.fill(-Infinity);
        where.fill(-1);
        const r0 = Math.max(0, y * sh - top);
        const r1 = Math.min(h, y * sh - top + fh);
        for (let r = r0; r < r1; r++) {
          const rowAt = (bb * h + r) * w;
          for (let x = 0; x < ow; x++) {
            const c0 = Math.max(0, x * sw - left);
            const c1 = Math.min(w, x * sw - left + fw);
            const slot = x * c;
            for (let q = c0; q < c1; q++) {
              const at = (rowAt + q) * c;
              for (let ch = 0; ch < c; ch++) {
                const v = xv[at + ch];
                if (v > best[slot + ch]) {
                  best[slot + ch] = v;
                  where[slot + ch] = at + ch;
                }
              }
            }
          }
        }
        const g = (bb * oh + y) * ow * c;
        for (let k = 0; k < ow * c; k++) {
          const i = where[k];
          if (i >= 0) dxv[i] += dyv[g + k];
        }
      }
    }
    return dx;
  },
};
