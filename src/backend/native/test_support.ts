/**
 * Shared by the native kernels' tests: bring the backend up (building the addon if this machine can
 * and it is not built yet), and compare a computation on `native` against the reference `cpu`
 * backend while checking that the native kernels really ran, leaked nothing, and overwrote every
 * element of recycled output arrays.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assertClose, maxAbs, runOn } from '../testing.ts';
import { NativeBackend } from './backend.ts';
import { registerNativeBackend } from './index.ts';
import { nativeCalls } from './kernels/shared.ts';

let ready: Promise<string | null> | undefined;

/** Whether this machine has what scripts/build-native.js needs (so the addon must be usable). */
function canBuild(): boolean {
  const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
  return existsSync('/usr/include/oneapi/dnnl/dnnl.hpp') && (onPath('g++') || onPath('c++')) && onPath('make');
}

async function setUp(): Promise<string | null> {
  // Every error from a native kernel fails the test instead of quietly falling back to cpu.
  process.env.FMNIST_NATIVE_STRICT = '1';
  tf.env().set('PROD', true); // no tfjs console advice
  try {
    registerNativeBackend(2);
  } catch (first) {
    if (!canBuild()) return `native addon not built: ${(first as Error).message} (needs libdnnl-dev and g++)`;
    // Buildable here: build it now (idempotent; ~1.5 min the first time), then it must load.
    const script = fileURLToPath(new URL('../../../scripts/build-native.js', import.meta.url));
    spawnSync(process.execPath, [script], { stdio: 'inherit' });
    registerNativeBackend(2); // throws (fails the test) if it still cannot load
  }
  await tf.setBackend('native');
  return null;
}

/**
 * Make the native backend ready; returns a reason to skip (the addon cannot be built on this
 * machine), or null. Throws when it should work here but does not.
 */
export function nativeReady(): Promise<string | null> {
  ready ??= setUp();
  return ready;
}

function nativeBackend(): NativeBackend {
  return tf.findBackend('native') as NativeBackend;
}

export interface CompareOptions {
  /** Kernels that must have run natively (not fallen back to cpu) during `fn`. */
  kernels: string[];
  /** Absolute tolerance relative to the largest expected magnitude (default 1e-5). */
  atol?: number;
  rtol?: number;
}

/**
 * Run `fn` on cpu and on native and compare every output. On native it first runs once with its
 * outputs discarded, so their arrays go back to the pool, and poisons the pool with NaN: an output
 * element a kernel fails to write then shows up as NaN.
 */
export async function compareWithCpu(what: string, fn: () => tf.Tensor | tf.Tensor[], o: CompareOptions): Promise<void> {
  const want = await runOn('cpu', fn);
  await tf.setBackend('native');
  tf.dispose(tf.tidy(fn));
  nativeBackend().poisonPool();
  const counts = new Map(o.kernels.map((k) => [k, nativeCalls.get(k) ?? 0]));
  const dataIds = nativeBackend().numDataIds();
  const got = await runOn('native', fn);
  assert.equal(nativeBackend().numDataIds(), dataIds, `${what}: native backend data leak`);
  for (const k of o.kernels) {
    assert.ok((nativeCalls.get(k) ?? 0) > counts.get(k)!, `${what}: native ${k} did not run (fell back to cpu?)`);
  }
  assert.equal(got.length, want.length, `${what}: output count`);
  for (let i = 0; i < want.length; i++) {
    assert.deepEqual(got[i].shape, want[i].shape, `${what}: output ${i} shape`);
    const scale = Math.max(1, maxAbs(want[i].values));
    assertClose(got[i].values, want[i].values, (o.atol ?? 1e-5) * scale, o.rtol ?? 1e-4, `${what}: output ${i}`);
  }
}
