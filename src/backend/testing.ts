/**
 * Helpers for the kernel test suites that run the same cases on every backend.
 * Tests compare a backend's result against the reference `cpu` backend.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';

/** A deterministic pseudo-random tensor (mulberry32), so failures reproduce. */
export function seededTensor(shape: number[], seed: number, scale = 1): tf.Tensor {
  let a = seed >>> 0;
  const n = shape.reduce((p, c) => p * c, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    v[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return tf.tensor(v, shape);
}

/** Run `fn` on backend `name` with inputs moved there; returns plain arrays (nothing left on the backend). */
export async function runOn(name: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<{ shape: number[]; values: Float32Array }[]> {
  const previous = tf.getBackend();
  await tf.setBackend(name);
  try {
    const before = tf.memory().numTensors;
    const out = tf.tidy(fn);
    const list = Array.isArray(out) ? out : [out];
    const res = list.map((t) => ({ shape: t.shape, values: t.dataSync() as Float32Array }));
    tf.dispose(list);
    assert.equal(tf.memory().numTensors, before, `tensor leak on backend ${name}`);
    return res;
  } finally {
    if (previous) await tf.setBackend(previous);
  }
}

/** Assert two arrays agree within an absolute + relative tolerance; names the first bad index. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-4, rtol = 1e-3, what = 'values'): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      assert.fail(`${what}: index ${i}: got ${a}, expected ${e}`);
    }
  }
}

/**
 * Tensors alive in the engine, and data buffers held by backend `name` (intermediates a kernel makes
 * without the engine, e.g. on the wasm heap, only show up in the second count).
 */
export function liveCounts(name: string): { tensors: number; dataIds: number } {
  const backend = tf.findBackend(name);
  return { tensors: tf.memory().numTensors, dataIds: backend ? backend.numDataIds() : 0 };
}

/** Run kernel `kernelName` directly on backend `name` with inputs made (on that backend) by `makeInputs`. */
export function runKernelOn(
  name: string, kernelName: string, makeInputs: () => Record<string, tf.Tensor>, attrs: object,
): Promise<{ shape: number[]; values: Float32Array }[]> {
  return runOn(name, () => tf.engine().runKernel(kernelName, makeInputs(), attrs as tf.NamedAttrMap) as tf.Tensor);
}

/**
 * Central-difference gradient of the scalar function `f` at `x`, one element at a time (2·size
 * evaluations: small tensors only). Exact up to rounding when f is linear in x, e.g. Σ conv(x, w)·r.
 */
export function numericalGradient(f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor, eps = 1e-2): Float32Array {
  const base = x.dataSync().slice();
  const grad = new Float32Array(base.length);
  for (let i = 0; i < base.length; i++) {
    const at = (delta: number): number => tf.tidy(() => {
      const v = base.slice();
      v[i] += delta;
      return f(tf.tensor(v, x.shape)).dataSync()[0];
    });
    grad[i] = (at(eps) - at(-eps)) / (2 * eps);
  }
  return grad;
}

/** Largest |v| (for tolerances relative to a result's scale). */
export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]));
  return m;
}
