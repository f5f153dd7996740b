/**
 * The compiled oneDNN addon (src/backend/native/addon, built by scripts/build-native.js): its
 * typed interface and its lazy loader. Nothing is loaded until `loadAddon` is called.
 *
 * Every kernel function takes Float32Arrays that alias the cpu backend's tensor storage (no copy)
 * and an output Float32Array allocated by the caller, which C++ fills. Shapes travel as Int32Arrays
 * whose layouts are documented in addon/common.h; C++ checks every array's length against them.
 * A `filterToken` (kernels/shared.ts dataToken) lets the addon reuse weights it already reordered.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeAddon {
  setNumThreads(threads: number): number;
  info(): { onednn: string; runtime: string; threads: number; cachedPrimitives: number; isa: string; precision: 'fp32' | 'bf16' };
  /** Mixed precision of convolutions and large matrix products (addon/common.h); clears the primitive cache when it changes. */
  setPrecision(precision: 'fp32' | 'bf16'): 'fp32' | 'bf16';
  clearCache(): void;
  conv2d(x: Float32Array, filter: Float32Array, bias: Float32Array | null, out: Float32Array, params: Int32Array, activation: number, leakyreluAlpha: number, filterToken?: number): void;
  conv2dBackpropInput(dy: Float32Array, filter: Float32Array, out: Float32Array, params: Int32Array, filterToken?: number): void;
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, out: Float32Array, params: Int32Array): void;
  depthwiseConv2d(x: Float32Array, filter: Float32Array, bias: Float32Array | null, out: Float32Array, params: Int32Array, activation: number, leakyreluAlpha: number, filterToken?: number): void;
  depthwiseConv2dBackpropInput(dy: Float32Array, filter: Float32Array, out: Float32Array, params: Int32Array, filterToken?: number): void;
  depthwiseConv2dBackpropFilter(x: Float32Array, dy: Float32Array, out: Float32Array, params: Int32Array): void;
  maxPool(x: Float32Array, out: Float32Array, params: Int32Array): void;
  avgPool(x: Float32Array, out: Float32Array, params: Int32Array): void;
  maxPoolGrad(dy: Float32Array, x: Float32Array, out: Float32Array, params: Int32Array): void;
  avgPoolGrad(dy: Float32Array, out: Float32Array, params: Int32Array): void;
  batchMatMul(a: Float32Array, b: Float32Array, bias: Float32Array | null, out: Float32Array, params: Int32Array, activation: number, leakyreluAlpha: number): void;
  fusedBatchNorm(x: Float32Array, mean: Float32Array, variance: Float32Array, scale: Float32Array | null, offset: Float32Array | null, out: Float32Array, params: Int32Array, varianceEpsilon: number): void;
  softmax(logits: Float32Array, out: Float32Array, params: Int32Array): void;
  eltwise(x: Float32Array, out: Float32Array, activation: number, leakyreluAlpha: number): void;
  sum(x: Float32Array, out: Float32Array, params: Int32Array): void;
  batchNormTrain(x: Float32Array, gamma: Float32Array | null, beta: Float32Array | null, y: Float32Array, mean: Float32Array, variance: Float32Array, params: Int32Array, epsilon: number): void;
  batchNormTrainGrad(x: Float32Array, dy: Float32Array, mean: Float32Array, variance: Float32Array, gamma: Float32Array | null, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, params: Int32Array, epsilon: number): void;
  binary(a: Float32Array, b: Float32Array, out: Float32Array, params: Int32Array): void;
  unary(x: Float32Array, out: Float32Array, op: number, alpha: number, beta?: number): void;
  activationGrad(dy: Float32Array, x: Float32Array, dx: Float32Array, op: number, lo?: number, hi?: number): void;
  adam(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, wOut: Float32Array, mOut: Float32Array, vOut: Float32Array, hyper: Float32Array): void;
}

/**
 * Where node-gyp puts the addon: beside its C++ sources in src/, found from this file as the sources
 * (src/backend/native/addon.ts) or compiled (dist/backend/native/addon.js) — both three folders deep.
 */
export const ADDON_PATH = fileURLToPath(new URL('../../../src/backend/native/addon/build/Release/fmnist_native.node', import.meta.url));

let loaded: NativeAddon | undefined;

/**
 * Load the addon (once). Throws an Error with a short, user-facing reason when it is not built or
 * cannot be loaded (e.g. libdnnl missing at run time).
 */
export function loadAddon(): NativeAddon {
  if (loaded) return loaded;
  if (!existsSync(ADDON_PATH)) {
    throw new Error('addon not built (run: node scripts/build-native.js)');
  }
  const lacking = missingCpuFeatures();
  if (lacking.length) {
    throw new Error(`addon built for a CPU with ${lacking.join(', ')}, which this one lacks (run: node scripts/build-native.js)`);
  }
  // OpenMP worker threads sleep as soon as a parallel region ends, instead of spinning for ~1 ms
  // (libgomp's default). Between two kernels tfjs runs JS for tens of µs, during which spinning
  // workers only burn a core; and on a busy machine a spinning worker has used up its CPU share
  // and waits behind other processes when the next kernel needs it, while a sleeping one is woken
  // promptly. Measured on LeNet-5 training, 2 threads, machine shared with other jobs: 213 s/epoch
  // spinning, 18 s passive. libgomp reads this once, when the addon loads it, so it is set only for
  // the load: child processes (e.g. a PyTorch peer benchmark, whose OpenMP it would slow down) do
  // not inherit it. A user's own setting wins.
  const setPolicy = process.env.OMP_WAIT_POLICY === undefined;
  if (setPolicy) process.env.OMP_WAIT_POLICY = 'passive';
  try {
    loaded = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new Error(`addon does not load: ${msg}`);
  } finally {
    if (setPolicy) delete process.env.OMP_WAIT_POLICY;
  }
  return loaded;
}

/**
 * The instruction-set extensions the addon was compiled for (scripts/build-native.js records them in
 * target.json beside it) that this CPU does not report: a build moved to another machine would die
 * of SIGILL in its first loop, so it is refused with a reason instead.
 */
export function missingCpuFeatures(targetFile = join(dirname(ADDON_PATH), 'target.json'), cpuinfo = '/proc/cpuinfo'): string[] {
  if (!existsSync(targetFile) || !existsSync(cpuinfo)) return [];
  const needs = (JSON.parse(readFileSync(targetFile, 'utf8')) as { needs?: string[] }).needs ?? [];
  const flags = new Set((readFileSync(cpuinfo, 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '').trim().split(/\s+/));
  return needs.filter((f) => !flags.has(f));
}

/** The loaded addon, for kernels (registration loads it before any kernel can run). */
export function addon(): NativeAddon {
  if (!loaded) throw new Error('native addon used before registerNativeBackend()');
  return loaded;
}
