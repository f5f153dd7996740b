/**
 * `--precision` end to end: the backend line says what was chosen and why, run.json and the runs
 * list record it, a resumed run keeps the precision it was made with, and bf16 where the CPU has
 * none is one line and exit 2. "No native bf16" is simulated with oneDNN's own ISA cap
 * (ONEDNN_MAX_CPU_ISA), read once when the addon loads in the child process.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadAddon } from '../../backend/native/addon.ts';
import { nativeReady } from '../../backend/native/test_support.ts';
import { AMX_ISA } from '../../backend/precision.ts';

const work = mkdtempSync(join(tmpdir(), 'fmnist-precision-'));
after(() => rmSync(work, { recursive: true, force: true }));
const db = join(work, 'runs.db');

interface Done { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** The CLI in a child process, on the native backend, with env overrides (undefined removes a variable). */
function cli(args: string[], env: Record<string, string | undefined> = {}, onStderr?: (text: string, kill: () => void) => void): Promise<Done> {
  const full: Record<string, string | undefined> = { ...process.env, FMNIST_DB: db, FMNIST_PRECISION: undefined, ...env };
  for (const k of Object.keys(full)) if (full[k] === undefined) delete full[k];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/fmnist.js', '--backend', 'native', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: full as NodeJS.ProcessEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      onStderr?.(stderr, () => child.kill('SIGKILL'));
    });
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
const runJson = (dir: string) => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { precision: string; backend: { precision: string } };
const tiny = ['train', '--limit', '100', '--epochs', '1', '--batch-size', '50'];

test('no native bf16 (ISA capped at AVX2): auto trains in fp32 and says why; bf16 is one line, exit 2', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  const noBf16 = { ONEDNN_MAX_CPU_ISA: 'AVX2' };
  const out = join(work, 'capped');
  const auto = await cli([...tiny, '--out', out], noBf16);
  assert.equal(auto.code, 0, auto.stderr);
  assert.match(auto.stderr, /backend: native \(\d+ threads?, fp32: no native bf16 on avx2\)/);
  assert.equal(runJson(out).precision, 'fp32');
  const refused = await cli(['--precision', 'bf16', ...tiny, '--out', join(work, 'refused')], noBf16);
  assert.equal(refused.code, 2);
  assert.equal(refused.stderr.trim(), 'fmnist: --precision bf16: this CPU has no native bf16 (oneDNN runs avx2; bf16 would be emulated, slower than fp32); use --precision fp32 or auto');
  const typo = await cli(['--precision', 'bf61', ...tiny, '--out', join(work, 'typo')]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /^fmnist: --precision must be one of auto, fp32, bf16, got 'bf61'\n$/);
});

test('run.json and the runs list record the precision; --resume keeps the one the run was made with', async (t) => {
  const skip = await nativeReady();
  if (skip) return t.skip(skip);
  const autoIsBf16 = loadAddon().info().isa === AMX_ISA;
  const dir = join(work, 'resumed');
  const args = ['train', '--limit', '600', '--epochs', '3', '--batch-size', '32', '--out', dir];
  const first = await cli(['--precision', 'fp32', ...args], {}, (text, kill) => { if (/epoch 2\/3/.test(text)) kill(); });
  assert.equal(first.signal, 'SIGKILL', first.stderr);
  const clash = await cli(['--precision', 'bf16', ...args, '--resume']);
  assert.equal(clash.code, 2, clash.stderr);
  assert.match(clash.stderr, autoIsBf16 ? /the run was made in fp32, not bf16; resume it with --precision fp32/ : /no native bf16/);
  const resumed = await cli([...args, '--resume']); // no --precision: auto, which is bf16 on AMX
  assert.equal(resumed.code, 0, resumed.stderr);
  if (autoIsBf16) assert.match(resumed.stderr, /resuming in fp32 as the run was made/);
  assert.equal(runJson(dir).precision, 'fp32');
  assert.equal(runJson(dir).backend.precision, 'fp32');

  if (autoIsBf16) {
    const bf16Dir = join(work, 'bf16');
    const bf16 = await cli(['--precision', 'bf16', ...tiny, '--model', 'resnet9_xs', '--out', bf16Dir]);
    assert.equal(bf16.code, 0, bf16.stderr);
    assert.match(bf16.stderr, /backend: native \(\d+ threads?, bf16 on avx512_core_amx\)/);
    assert.equal(runJson(bf16Dir).precision, 'bf16');
  }
  const list = await cli(['--json', 'runs', 'list']);
  const rows = JSON.parse(list.stdout) as { outDir: string; precision: string }[];
  assert.equal(rows.find((r) => r.outDir === dir)?.precision, 'fp32');
  if (autoIsBf16) assert.equal(rows.find((r) => r.outDir === join(work, 'bf16'))?.precision, 'bf16');
  const text = await cli(['runs', 'list']);
  assert.match(text.stdout, /prec/);
});
