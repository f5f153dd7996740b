/**
 * The one place that picks and initialises the TensorFlow.js backend.
 *
 * Order for `auto`: tensorflow (@tensorflow/tfjs-node, where a user has it) → native (our oneDNN addon)
 * → wasm (with our gradient kernels) → cpu. Each candidate that fails to load leaves a reason, so the
 * one-line backend message can say why a faster backend is off.
 */
import * as tf from '@tensorflow/tfjs';
import { cpus } from 'node:os';
import { UserError, errorMessage } from '../util/errors.ts';
import { choosePrecision, type Precision, type PrecisionSetting } from './precision.ts';

import { BACKENDS, type BackendName } from './names.ts';

export { BACKENDS, type BackendName };

export interface BackendInfo {
  /** The backend tfjs now runs on. */
  name: Exclude<BackendName, 'auto'>;
  /** Threads its kernels use. */
  threads: number;
  /** Why faster candidates were skipped (auto), by backend name. */
  skipped: Record<string, string>;
  /** The compute precision in force (precision.ts), and why it was chosen. */
  precision: Precision;
  precisionWhy: string;
}

let current: BackendInfo | undefined;

export function defaultThreads(): number {
  const fromEnv = Number(process.env.FMNIST_THREADS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : Math.max(1, cpus().length);
}

type Loader = (threads: number) => Promise<number>; // resolves to the thread count in use

const loaders: Record<Exclude<BackendName, 'auto'>, Loader> = {
  async tensorflow() {
    // Optional: only present where a user installed it themselves (it downloads libtensorflow).
    const name = '@tensorflow/tfjs-node';
    await import(name);
    await setBackendOrThrow('tensorflow');
    return defaultThreads();
  },
  async native(threads) {
    const { registerNativeBackend } = await import('./native/index.ts');
    const used = registerNativeBackend(threads);
    await setBackendOrThrow('native');
    return used;
  },
  async wasm() {
    await import('@tensorflow/tfjs-backend-wasm');
    const { registerWasmGradientKernels } = await import('./wasm/register.ts');
    registerWasmGradientKernels();
    await setBackendOrThrow('wasm');
    return 1; // tfjs-backend-wasm is single-threaded in Node (no SharedArrayBuffer workers)
  },
  async cpu() {
    await setBackendOrThrow('cpu');
    return 1;
  },
};

async function setBackendOrThrow(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') failed`);
  await tf.ready();
}

/**
 * Initialise the requested backend (once per process; later calls return the first result
 * unless a different explicit backend is asked for) and set its compute precision. The default
 * precision is fp32, so a library caller gets float32 unless it asks; the CLI asks `auto`.
 */
export async function initBackend(requested: BackendName = 'auto', threads = defaultThreads(), precision: PrecisionSetting = 'fp32'): Promise<BackendInfo> {
  if (!BACKENDS.includes(requested)) {
    throw new UserError(`unknown backend '${requested}': use one of ${BACKENDS.join(', ')}`);
  }
  if (current && (requested === 'auto' || requested === current.name)) return setPrecision(precision);
  // PROD silences tfjs' console advice ("install tfjs-node") and skips its debug-only checks.
  tf.env().set('PROD', true);
  const candidates: Exclude<BackendName, 'auto'>[] =
    requested === 'auto' ? ['tensorflow', 'native', 'wasm', 'cpu'] : [requested];
  const skipped: Record<string, string> = {};
  let started = false;
  for (const name of candidates) {
    try {
      const used = await loaders[name](threads);
      current = { name, threads: used, skipped, precision: 'fp32', precisionWhy: 'fp32' };
      started = true;
      break;
    } catch (err) {
      skipped[name] = shortReason(err);
    }
  }
  if (started) return setPrecision(precision); // after the loop: a precision this CPU lacks is the user's error, not a backend's
  const why = Object.entries(skipped).map(([k, v]) => `${k}: ${v}`).join('; ');
  throw new UserError(`backend '${requested}' is not available (${why})`);
}

/**
 * Set the running backend's compute precision (after initBackend): what `requested` means on this
 * backend and CPU (precision.ts). A resumed run uses this to keep the precision it started with.
 */
export async function setPrecision(requested: PrecisionSetting): Promise<BackendInfo> {
  if (!current) throw new Error('setPrecision before initBackend');
  let isa: string | undefined;
  let measureSpeedup: (() => number) | undefined;
  if (current.name === 'native') {
    const native = await import('./native/index.ts');
    isa = native.nativeInfo().isa;
    measureSpeedup = native.measureBf16Speedup;
  }
  const choice = choosePrecision(requested, { backend: current.name, isa, measureSpeedup });
  if (current.name === 'native') (await import('./native/addon.ts')).loadAddon().setPrecision(choice.precision);
  current = { ...current, precision: choice.precision, precisionWhy: choice.why };
  return current;
}

function shortReason(err: unknown): string {
  const msg = errorMessage(err);
  if (/Cannot find (module|package) '@tensorflow\/tfjs-node'/.test(msg)) return 'not installed';
  return msg.split('\n')[0];
}

/** The one-line message every command prints (to stderr, so --json output stays clean). */
export function describeBackend(info: BackendInfo): string {
  const off = Object.entries(info.skipped)
    .filter(([k]) => k !== 'tensorflow' || info.skipped[k] !== 'not installed')
    .map(([k, v]) => `${k} off: ${v}`);
  const threads = `${info.threads} thread${info.threads === 1 ? '' : 's'}`;
  return `backend: ${info.name} (${threads}, ${info.precisionWhy})${off.length ? ` — ${off.join('; ')}` : ''}`;
}

export function currentBackend(): BackendInfo | undefined {
  return current;
}
