/**
 * BatchMatMul on oneDNN's matmul: transposes are strides (nothing is copied) and a batch of 1 on
 * either side broadcasts. Other batch broadcasts go to the cpu kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { f32, type Info, nativeKernel, output, outputArray, sizeOf } from './shared.ts';

export interface MatMulPlan {
  params: Int32Array; // [batchA, batchB, M, K, N, transposeA, transposeB]: see batch_mat_mul.cc
  outShape: number[];
}

/** The addon's view of a (possibly batched, transposed) product, or null when it cannot take it. */
export function matMulPlan(a: Info, b: Info, transposeA: boolean, transposeB: boolean): MatMulPlan | null {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return null;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kB = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kB) return null; // the cpu kernel throws tfjs' own message
  const batchShapeA = a.shape.slice(0, -2);
  const batchShapeB = b.shape.slice(0, -2);
  let outBatch: number[];
  try {
    outBatch = tf.backend_util.assertAndGetBroadcastShape(batchShapeA, batchShapeB);
  } catch {
    return null;
  }
  const batchA = sizeOf(batchShapeA);
  const batchB = sizeOf(batchShapeB);
  const batch = sizeOf(outBatch);
  // Equal batch counts with an output of that count index A and B alike; otherwise only a single
  // A or B broadcasts cleanly (e.g. [2,1] x [1,3] batches need an outer product of batches).
  const ok = batch === Math.max(batchA, batchB) && (batchA === batchB || batchA === 1 || batchB === 1);
  if (!ok || m * n * k * batch === 0) return null;
  return {
    params: Int32Array.of(batchA, batchB, m, k, n, transposeA ? 1 : 0, transposeB ? 1 : 0),
    outShape: [...outBatch, m, n],
  };
}

export const batchMatMulConfig = nativeKernel(tf.BatchMatMul, ({ inputs, backend, attrs }, native) => {
  const { a, b } = inputs;
  const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
  const av = f32(backend, a);
  const bv = f32(backend, b);
  const plan = matMulPlan(a, b, transposeA, transposeB);
  if (!av || !bv || !plan) return null;
  const out = outputArray(backend, sizeOf(plan.outShape));
  native.batchMatMul(av, bv, null, out, plan.params, 0, 0);
  return output(backend, plan.outShape, out);
});
