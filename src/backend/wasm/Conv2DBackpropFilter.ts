/**
 * Conv2DBackpropFilter for the wasm backend: dW = ∂loss/∂filter of a 2-D convolution.
 * Needed by the gradient of every Conv2D / FusedConv2D (tfjs-core's conv2DGradConfig and
 * fused conv2d's custom gradient), so by every trainable conv layer.
 *
 *   dW[kh, kw, ci, co] = Σ_{b, oh, ow} x[b, oh·s + kh − padTop, ow·s + kw − padLeft, ci] · dy[b, oh, ow, co]
 *
 * This is itself a convolution, which we hand to wasm's XNNPACK Conv2D:
 *   input  xᵀ  = x transposed to [ci, h, w, b]        (ci plays the batch, b the channels)
 *   filter dyᵀ = dy transposed to [oh, ow, b, co]      (the output gradient is the filter)
 *   stride 1, dilation = the forward stride s, explicit padding (forward padTop/padLeft, and
 *   whatever bottom/right padding — or cropping — makes the output exactly kh × kw)
 *   → [ci, kh, kw, co], transposed back to the filter layout [kh, kw, ci, co].
 * The reduction over b·oh·ow (≈ 50 000 terms per weight for LeNet's first layer at batch 64) runs
 * in XNNPACK's SIMD GEMM micro-kernels. Measured alternatives (im2col in JS + XNNPACK matmul;
 * plain JS loops on the wasm heap) were slower: see docs in the lead's report / bench notes.
 */
import * as tf from '@tensorflow/tfjs';
import { fitAxis, pair, withScope, type Info } from './kernel_scope.ts';

export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as unknown as tf.Conv2DBackpropFilterInputs & { x: Info; dy: Info };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    if (x.dtype !== 'float32' || dy.dtype !== 'float32') throw new Error('wasm Conv2DBackpropFilter supports float32 only');
    const channelsLast = tf.backend_util.convertConv2DDataFormat(dataFormat) === 'channelsLast';
    return withScope(backend, (s) => {
      // NCHW: bring both operands to NHWC first (one transpose each); the filter layout is shared.
      const xs = channelsLast ? x : s.transpose(x, [0, 2, 3, 1]);
      const dys = channelsLast ? dy : s.transpose(dy, [0, 2, 3, 1]);
      const info = tf.backend_util.computeConv2DInfo(
        xs.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast',
      );
      const [kh, kw, ci, co] = filterShape;
      const [b, h, w] = xs.shape;
      const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
      if (dys.shape[1] !== oh || dys.shape[2] !== ow || dys.shape[3] !== co) {
        throw new Error(`Conv2DBackpropFilter: dy shape ${dys.shape} does not match the forward output [${b},${oh},${ow},${co}]`);
      }
      // Rows of x the forward pass reads: from −padTop to (oh−1)·sh + kh − 1 − padTop.
      const [cropT, keptH, padT, padB] = fitAxis(h, info.padInfo.top, (oh - 1) * sh + kh);
      const [cropL, keptW, padL, padR] = fitAxis(w, info.padInfo.left, (ow - 1) * sw + kw);

      const xc = s.slice(xs, [0, cropT, cropL, 0], [b, keptH, keptW, ci]);
      const xT = s.transpose(xc, [3, 1, 2, 0]); // [ci, h', w', b]
      const dyT = s.transpose(dys, [1, 2, 0, 3]); // [oh, ow, b, co]
      const conv = s.run('Conv2D', { x: xT, filter: dyT }, {
        strides: [1, 1],
        dilations: [sh, sw],
        pad: [[0, 0], [padT, padB], [padL, padR], [0, 0]],
        dataFormat: 'NHWC',
        dimRoundingMode: undefined,
      }); // [ci, kh, kw, co]
      return ci === 1 ? s.reshape(conv, filterShape) : s.transpose(conv, [1, 2, 0, 3]);
    });
  },
};
