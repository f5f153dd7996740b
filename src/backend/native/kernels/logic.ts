/**
 * What the comparison and selection kernels share: plain typed-array loops for float32 inputs of
 * the same shape, or against one value, writing bool (Uint8Array) or float32 outputs. tfjs' ReLU
 * layer with maxValue (MobileNetV2's ReLU(6.0)) clips, and the clip's gradient is
 * where(logicalAnd(x >= min, x <= max), dy, 0): four passes through tfjs-backend-cpu's generic
 * broadcasting helpers at ~50 ns per element (MobileNetV2 at 96x96, batch 32: 15 s of a step,
 * measured). These loops cost a few ns per element; the addon's arrays are float32 only.
 */
import * as tf from '@tensorflow/tfjs';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { f32, type Info, nativeKernel } from './shared.ts';

/** The bool storage of `t`, or undefined. */
export function bools(backend: MathBackendCPU, t: Info | undefined): Uint8Array | undefined {
  if (!t || t.dtype !== 'bool') return undefined;
  const values = backend.data.get(t.dataId)?.values;
  return values instanceof Uint8Array ? values : undefined;
}

export function boolOutput(backend: MathBackendCPU, shape: readonly number[], values: Uint8Array): Info {
  return backend.makeTensorInfo([...shape], 'bool', values);
}

/**
 * A float32 comparison (a same shape as b, or b one value) with a bool result. The loops are
 * written out per comparison, with +(a >= b) rather than a conditional: V8 then emits no branch
 * to mispredict on random activations (measured 1.4 ns per element instead of 12).
 */
export function compareKernel(kernelName: string, op: 'ge' | 'le'): tf.KernelConfig {
  return nativeKernel(kernelName, ({ inputs, backend }) => {
    const { a, b } = inputs;
    const av = f32(backend, a);
    const bv = f32(backend, b);
    if (!av || !bv || (bv.length !== 1 && !tf.util.arraysEqual(a.shape, b.shape))) return null;
    const out = new Uint8Array(av.length);
    const n = av.length;
    if (bv.length === 1) {
      const s = bv[0];
      if (op === 'ge') for (let i = 0; i < n; i++) out[i] = +(av[i] >= s);
      else for (let i = 0; i < n; i++) out[i] = +(av[i] <= s);
    } else if (op === 'ge') {
      for (let i = 0; i < n; i++) out[i] = +(av[i] >= bv[i]);
    } else {
      for (let i = 0; i < n; i++) out[i] = +(av[i] <= bv[i]);
    }
    return boolOutput(backend, a.shape, out);
  });
}
