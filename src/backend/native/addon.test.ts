/** Loading the addon: a build for instruction-set extensions this CPU lacks is refused with a reason. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { missingCpuFeatures } from './addon.ts';

test('missingCpuFeatures: lists what target.json needs and /proc/cpuinfo lacks; nothing without a record', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmnist-target-'));
  try {
    const [target, cpuinfo] = [join(dir, 'target.json'), join(dir, 'cpuinfo')];
    writeFileSync(cpuinfo, 'processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\n\nprocessor\t: 1\nflags\t\t: fpu sse2 avx avx2 fma\n');
    assert.deepEqual(missingCpuFeatures(target, cpuinfo), []); // built before target.json existed: no claim
    writeFileSync(target, JSON.stringify({ march: 'x86-64-v3', needs: ['avx', 'avx2', 'fma', 'bmi2', 'movbe'] }));
    assert.deepEqual(missingCpuFeatures(target, cpuinfo), ['bmi2', 'movbe']);
    writeFileSync(target, JSON.stringify({ march: null, needs: [] }));
    assert.deepEqual(missingCpuFeatures(target, cpuinfo), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
