/**
 * DepthwiseConv2dNativeBackpropInput for the wasm backend: dx = ∂loss/∂x of a depthwise convolution.
 * Needed by the gradient of DepthwiseConv2dNative and FusedDepthwiseConv2D (tfjs-core's
 * depthwiseConv2dNativeGradConfig, fused depthwiseConv2d's custom gradient) whenever the layer is
 * not the first one, i.e. in every MobileNet / EfficientNet block (depthwiseConv2d and
 * separableConv2d layers); tfjs-backend-wasm 4.22 lacks it.
 *
 *   dx[b, y, x, c] = Σ_{i, j, m} dy[b, (y + padTop − i·dh)/sh, (x + padLeft − j·dw)/sw, c·M + m] · f[i, j, c, m]
 *   (terms only where the divisions are exact and in range)
 *
 * This is a "transposed" depthwise convolution, run as an ordinary one on wasm's XNNPACK
 * DepthwiseConv2dNative (SIMD dwconv micro-kernels):
 *   1. stride > 1: dy is zero-stuffed (sh−1 zero rows after every row, likewise columns) with one
 *      PadV2 on a [b, oh, 1, ow, 1, cM] view — no JS loop;
 *   2. the filter is rotated 180° (Reverse on the two spatial axes) and viewed as [kh, kw, c·M, 1];
 *   3. a stride-1 depthwise convolution with the forward dilation and padding
 *      top = (kh−1)·dh − padTop (bottom/right: whatever yields exactly h × w; negative → crop);
 *   4. channel multiplier M > 1: the M partial results per input channel are summed (Sum over the
 *      innermost axis of a [b, h, w, c, M] view).
 *
 * Measured (process CPU time, min of 4, SIMD build, 1 thread, ms)      this   forward pass
 *   x[64,28,28,32]  3×3 stride 1 same                                   4.5      5.4
 *   x[64,28,28,96]  3×3 stride 2 same                                  17        5
 *   x[64,14,14,144] 5×5 stride 1 same                                  24       21
 * (stride 2 pays for convolving the zero-stuffed, 4× larger dy; a JS scatter loop was not tried
 * because even this is ~3× faster than the filter gradient of the same layer.)
 */
import * as tf from '@tensorflow/tfjs';
import { gradientConvInfo, fitAxis, pair, withScope, type Info } from './kernel_scope.ts';

export const depthwiseConv2dNativeBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: Info; filter: Info };
    const { strides, dilations, pad, dimRoundingMode, inputShape } =
      attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
    if (dy.dtype !== 'float32' || filter.dtype !== 'float32') {
      throw new Error('wasm DepthwiseConv2dNativeBackpropInput supports float32 only');
    }
    const [b, h, w, c] = inputShape;
    const [kh, kw, , m] = filter.shape;
    const info = gradientConvInfo('DepthwiseConv2dNativeBackpropInput', inputShape, filter.shape, dy.shape, { strides, dilations, pad, dimRoundingMode }, true);
    const { outHeight: oh, outWidth: ow } = info;
    const cm = c * m;
    const [sh, sw] = pair(strides);
    const [dh, dw] = pair(dilations);
    return withScope(backend, (s) => {
      // 1. Zero-stuffed dy: row y·sh holds dy row y, the sh−1 rows after it are zero. Length oh·sh.
      let d = dy;
      if (sh > 1 || sw > 1) {
        const view = s.reshape(dy, [b, oh, 1, ow, 1, cm]);
        const stuffed = s.pad(view, [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
        d = s.reshape(stuffed, [b, oh * sh, ow * sw, cm]);
      }
      // 3. Input rows of the stride-1 correlation: from padTop − (kh−1)·dh, h + (kh−1)·dh of them.
      const [cropT, keptH, padT, padB] = fitAxis(oh * sh, (kh - 1) * dh - info.padInfo.top, h + (kh - 1) * dh);
      const [cropL, keptW, padL, padR] = fitAxis(ow * sw, (kw - 1) * dw - info.padInfo.left, w + (kw - 1) * dw);
      const dc = s.slice(d, [0, cropT, cropL, 0], [b, keptH, keptW, cm]);
      // 2. f rotated by 180°, one filter per dy channel (c·M + m order matches dy's channels).
      const rotated = s.run('Reverse', { x: s.reshape(filter, [kh, kw, cm, 1]) }, { dims: [0, 1] });
      const conv = s.run('DepthwiseConv2dNative', { x: dc, filter: rotated }, {
        strides: [1, 1],
        dilations: [dh, dw],
        pad: [[0, 0], [padT, padB], [padL, padR], [0, 0]],
      }); // [b, h, w, c·M]
      // 4. Sum the M partial gradients of each input channel.
      return m === 1 ? conv : s.sum(s.reshape(conv, [b, h, w, c, m]), [4]);
    });
  },
};
