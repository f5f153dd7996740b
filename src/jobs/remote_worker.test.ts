/**
 * `fmnist worker` stopping: SIGTERM/SIGINT with nothing running ends it within a few seconds,
 * whether Redis is reachable or not (it used to wait for an unreachable Redis until a second
 * signal), and it warns at start when Redis' settings can lose jobs. Real worker processes on
 * the test's own redis-server.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitWithin, killAll, skipWithoutRedis as skip, spawnCli, TestRedis, waitFor, type Cli } from './testing.ts';

/** "A few seconds": the stop itself, with room for a machine busy with other tests (ms). */
const STOP_LIMIT_MS = 8000;

let dir = '';
let redis: TestRedis | undefined;
const procs: Cli[] = [];

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'fmnist-worker-'));
  redis = await TestRedis.start(join(dir, 'redis'));
});

after(async () => {
  await killAll(procs);
  await redis?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function readyWorker(name: string): Promise<Cli> {
  const w = spawnCli(['worker', '--redis', redis!.url, '--work', join(dir, name)], procs);
  await waitFor(`worker ${name} to start`, () => /worker: 1 job at once/.test(w.log()), 60_000);
  return w;
}

test(
  'an idle worker stops within seconds of SIGTERM, and warned at start that this Redis can lose jobs',
  { skip, timeout: 90_000 }, async () => {
  const w = await readyWorker('idle');
  assert.match(w.log(), /redis: warning: .*no persistence \(appendonly no, save ""\)/);
  w.proc.kill('SIGTERM');
  const r = await exitWithin(w, STOP_LIMIT_MS);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /worker: stopping\n/);
});

test(
  'an idle worker whose Redis is gone stops within seconds of SIGINT, and of SIGTERM',
  { skip, timeout: 120_000 }, async () => {
  const a = await readyWorker('away-int');
  const b = await readyWorker('away-term');
  await redis!.kill();
  try {
    await waitFor('the workers to notice', () => [a, b].every((w) => /worker: Redis unreachable/.test(w.log())), 30_000);
    a.proc.kill('SIGINT');
    b.proc.kill('SIGTERM');
    for (const w of [a, b]) {
      const r = await exitWithin(w, STOP_LIMIT_MS);
      assert.equal(r.code, 0, r.out);
    }
  } finally {
    await redis!.launch();
  }
});
