/**
 * The Redis connection's checks: the settings warning (unit, and read from real redis-servers
 * started with safe and unsafe settings), the time limit on an unreachable Redis, and call timeouts.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../util/errors.ts';
import { isConnectionError, probeRedis, redisRisks, RedisWatch, withTimeout } from './redis.ts';
import { skipWithoutRedis as skip, TestRedis } from './testing.ts';

const servers: TestRedis[] = [];
const dir = mkdtempSync(join(tmpdir(), 'fmnist-redis-'));
after(async () => {
  await Promise.all(servers.map((s) => s.kill()));
  rmSync(dir, { recursive: true, force: true });
});

test('the settings warning names each way Redis can lose jobs, in one line, and nothing when it cannot', () => {
  assert.equal(redisRisks({ policy: 'noeviction', aof: true, save: '' }), undefined);
  assert.equal(redisRisks({ policy: 'noeviction', aof: true, save: undefined }), undefined);
  const both = redisRisks({ policy: 'allkeys-lru', aof: false, save: '' })!;
  assert.match(both, /maxmemory-policy is allkeys-lru/);
  assert.match(both, /no persistence \(appendonly no, save ""\)/);
  assert.match(both, /--appendonly yes --maxmemory-policy noeviction/);
  assert.ok(!both.includes('\n'));
  assert.match(redisRisks({ policy: 'noeviction', aof: false, save: '3600 1' })!, /only snapshots \(save "3600 1"\)/);
  assert.match(redisRisks({ policy: 'noeviction', aof: false })!, /cannot be read \(CONFIG refused\)/);
});

test(
  'probeRedis reads the settings of a real Redis: warned without persistence and with eviction, quiet with both right',
  { skip, timeout: 30_000 }, async () => {
  const unsafe = await TestRedis.start(join(dir, 'unsafe'), { args: ['--maxmemory-policy', 'allkeys-lru'] });
  servers.push(unsafe);
  const warned = (await probeRedis(unsafe.url)).warning ?? '';
  assert.match(warned, /maxmemory-policy is allkeys-lru/);
  assert.match(warned, /no persistence/);
  const safe = await TestRedis.start(join(dir, 'safe'), { persist: true, args: ['--maxmemory-policy', 'noeviction'] });
  servers.push(safe);
  assert.deepEqual(await probeRedis(safe.url), { warning: undefined });
  // A wrong password is one line naming Redis, not endless reconnecting.
  await assert.rejects(probeRedis(safe.url.replace(/:[0-9a-f]+@/, ':wrong@')),
    (e: Error) => e instanceof UserError && /cannot reach Redis at redis:\/\/:\*\*\*@/.test(e.message));
});

test(
  'RedisWatch: told once when Redis goes and once when it is back; past the limit an exit-2 error in one line',
  async () => {
  const lines: string[] = [];
  const watch = new RedisWatch('redis://:secret@h:1', 0.2, (l) => lines.push(l));
  watch.ok();
  assert.deepEqual(lines, []);
  watch.failed('connect ECONNREFUSED');
  watch.failed('connect ECONNREFUSED');
  assert.equal(lines.length, 1);
  assert.match(lines[0], /unreachable \(connect ECONNREFUSED\); waiting up to 0.2 s/);
  watch.ok();
  assert.match(lines[1], /reachable again/);
  // The clock starts again after it came back.
  watch.failed('x');
  await sleep(250);
  assert.throws(() => watch.failed('connect ECONNREFUSED'), (e: Error) => e instanceof UserError && e.exitCode === 2
    && /^Redis at redis:\/\/:\*\*\*@h:1 has been unreachable for over 0.2 s \(connect ECONNREFUSED\)/.test(e.message)
    && /rerun the same command/.test(e.message)
    && !e.message.includes('secret') && !e.message.includes('\n'));
});

test(
  'withTimeout: an answer in time passes through, none is an error, and a late failure is not an unhandled rejection',
  async () => {
  assert.equal(await withTimeout(Promise.resolve(3), 50), 3);
  await assert.rejects(withTimeout(sleep(200).then(() => { throw new Error('late'); }), 20), /no answer within 0.02 s/);
  await assert.rejects(withTimeout(Promise.reject(new Error('now')), 50), /now/);
  await sleep(250); // the late rejection has happened: node:test would report it as unhandled
});

test('a connection that is gone or a server that is starting is worth waiting for; a refusal is not', () => {
  const waitable = ['connect ECONNREFUSED 127.0.0.1:6379', 'read ECONNRESET', 'Connection is closed.',
    'LOADING Redis is loading the dataset in memory', 'no answer within 5 s'];
  for (const m of waitable) {
    assert.ok(isConnectionError(new Error(m)), m);
  }
  const refusals = ["OOM command not allowed when used memory > 'maxmemory'.", 'NOPERM this user has no permissions',
    'Missing key for job x. moveToFinished'];
  for (const m of refusals) {
    assert.ok(!isConnectionError(new Error(m)), m);
  }
});
