/**
 * _FusedMatMul (tf.fused.matMul, which tf.layers' dense uses): matmul + bias + activation in one
 * oneDNN primitive (bias and activation as post-ops). prelu runs afterwards on the cpu kernel.
 */
import * as tf from '@tensorflow/tfjs';
import { activationCode, applyPrelu, channelBias, f32, nativeKernel, output, outputArray, sizeOf } from './shared.ts';
import { matMulPlan } from './BatchMatMul.ts';

export const fusedMatMulConfig = nativeKernel(tf._FusedMatMul, ({ inputs, backend, attrs }, native) => {
  const { a, b } = inputs;
  const bias: tf.TensorInfo | undefined = inputs.bias;
  const preluActivationWeights: tf.TensorInfo | undefined = inputs.preluActivationWeights;
  const { transposeA, transposeB, activation, leakyreluAlpha } = attrs as unknown as tf._FusedMatMulAttrs;
  const av = f32(backend, a);
  const bv = f32(backend, b);
  const prelu = activation === 'prelu';
  const act = prelu ? 0 : activationCode(activation);
  const plan = matMulPlan(a, b, transposeA, transposeB);
  if (!av || !bv || !plan || act === undefined || (prelu && !preluActivationWeights)) return null;
  const biasV = channelBias(backend, bias, plan.outShape[plan.outShape.length - 1]);
  if (biasV === undefined) return null;
  const out = outputArray(backend, sizeOf(plan.outShape));
  native.batchMatMul(av, bv, biasV, out, plan.params, act, leakyreluAlpha ?? 0.2);
  const y = output(backend, plan.outShape, out);
  return prelu ? applyPrelu(backend, y, preluActivationWeights!) : y;
});
