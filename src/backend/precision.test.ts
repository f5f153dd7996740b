import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../util/errors.ts';
import { AMX_ISA, AVX512_BF16_ISA, choosePrecision, parsePrecision } from './precision.ts';

test('auto takes bf16 on AMX, measures on AVX512-BF16, keeps fp32 elsewhere; fp32 is always fp32', () => {
  const never = () => assert.fail('no calibration should run');
  assert.deepEqual(choosePrecision('auto', { backend: 'native', isa: AMX_ISA, measureSpeedup: never }), { precision: 'bf16', why: 'bf16 on avx512_core_amx' });
  assert.equal(choosePrecision('auto', { backend: 'native', isa: AVX512_BF16_ISA, measureSpeedup: () => 1.6 }).precision, 'bf16');
  const slower = choosePrecision('auto', { backend: 'native', isa: AVX512_BF16_ISA, measureSpeedup: () => 0.7 });
  assert.deepEqual(slower, { precision: 'fp32', why: 'fp32: bf16 measured 0.70x fp32 on avx512_core_bf16' });
  assert.equal(choosePrecision('auto', { backend: 'native', isa: 'avx512_core', measureSpeedup: never }).precision, 'fp32');
  assert.equal(choosePrecision('auto', { backend: 'wasm' }).precision, 'fp32');
  for (const isa of [AMX_ISA, AVX512_BF16_ISA, 'avx2']) assert.equal(choosePrecision('fp32', { backend: 'native', isa, measureSpeedup: never }).precision, 'fp32');
  assert.equal(choosePrecision('bf16', { backend: 'native', isa: AVX512_BF16_ISA, measureSpeedup: never }).precision, 'bf16', 'asked: no calibration');
});

test('bf16 where it cannot run natively is one clear user error', () => {
  assert.throws(() => choosePrecision('bf16', { backend: 'native', isa: 'avx2' }), (e: unknown) => e instanceof UserError && /no native bf16 \(oneDNN runs avx2/.test(e.message));
  assert.throws(() => choosePrecision('bf16', { backend: 'wasm' }), (e: unknown) => e instanceof UserError && /needs the native backend/.test(e.message));
  assert.throws(() => parsePrecision('bf17'), /--precision must be one of auto, fp32, bf16, got 'bf17'/);
  assert.throws(() => parsePrecision('x', 'FMNIST_PRECISION'), /^UserError: FMNIST_PRECISION must be/);
  assert.equal(parsePrecision(undefined), 'auto');
});
