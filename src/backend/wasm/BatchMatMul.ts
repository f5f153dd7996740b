/**
 * BatchMatMul for the wasm backend, meant to REPLACE the one tfjs-backend-wasm 4.22 ships (see
 * register.ts): that one reaches XNNPACK's SIMD GEMM only for a single, untransposed product and
 * falls back to a scalar blocked loop otherwise — and the matMul gradient (every dense layer's
 * backward pass: dW = xᵀ·dy, dx = dy·Wᵀ) always asks for a transposed product.
 *
 * Here a single (batch-1) product with transposeA and/or transposeB first transposes that operand
 * with wasm's Transpose and then runs the untransposed product, which takes the XNNPACK path. All
 * other cases, and the product itself, go through wasm's own `_FusedMatMul` kernel with no bias and
 * a linear activation — the very C++ routine the native BatchMatMul calls — so results are those of
 * the native kernel (bit-identical on the untransposed path).
 *
 * Measured (process CPU time, min of 10, ms)         native (slow path)   this
 *   dense 400→120, batch 64: dW = xᵀ·dy                   3.7               0.46
 *                            dx = dy·Wᵀ                    3.8               0.76
 *   dense 784→128, batch 64: dW / dx                    12.4 / 9.5         0.9 / 1.4
 */
import * as tf from '@tensorflow/tfjs';
import { withScope, type Info } from './kernel_scope.ts';

export const batchMatMulConfig: tf.KernelConfig = {
  kernelName: tf.BatchMatMul,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as { a: Info; b: Info };
    let { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') {
      throw new Error('BatchMatMul for non non-float32 tensors not yet supported.');
    }
    const ar = a.shape.length;
    const br = b.shape.length;
    const inner = transposeA ? a.shape[ar - 2] : a.shape[ar - 1];
    const innerB = transposeB ? b.shape[br - 1] : b.shape[br - 2];
    const rows = transposeA ? a.shape[ar - 1] : a.shape[ar - 2];
    const cols = transposeB ? b.shape[br - 2] : b.shape[br - 1];
    if (inner !== innerB) {
      throw new Error(`Error in matMul: inner shapes (${inner}) and (${innerB}) of Tensors with shapes ` +
        `${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`);
    }
    const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
    const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
    const outShape = [
      ...tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)), rows, cols,
    ];
    return withScope(backend, (s) => {
      let a3 = s.reshape(a, transposeA ? [batchA, inner, rows] : [batchA, rows, inner]);
      let b3 = s.reshape(b, transposeB ? [batchB, cols, inner] : [batchB, inner, cols]);
      if (batchA === 1 && batchB === 1) {
        // One product: make it untransposed so that it runs in XNNPACK (transposes are O(size)).
        if (transposeA) a3 = s.reshape(s.transpose(s.reshape(a3, [inner, rows]), [1, 0]), [1, rows, inner]);
        if (transposeB) b3 = s.reshape(s.transpose(s.reshape(b3, [cols, inner]), [1, 0]), [1, inner, cols]);
        transposeA = false;
        transposeB = false;
      }
      const out = s.run('_FusedMatMul', { a: a3, b: b3 }, { transposeA, transposeB, activation: 'linear' });
      return s.reshape(out, outShape);
    });
  },
};
