/**
 * The Redis connection as the coordinator and the workers see it: the URL (checked, and redacted for
 * messages), a first connection with a time limit, the server settings that decide whether queued
 * jobs survive (eviction, persistence), and how long Redis may stay away before a coordinator stops.
 */
import type { Redis } from 'ioredis';
import { UserError } from '../util/errors.ts';

export const REDIS_ENV = 'FMNIST_REDIS';
/** How long a coordinator waits for an unreachable Redis before it stops with exit 2 (seconds; --redis-wait). */
export const REDIS_WAIT_SECONDS = 60;
/** Where the Redis set-up is explained (named in the settings warning). */
export const REDIS_GUIDE = 'docs/guide/distributed.md';

/** BullMQ connection options for a redis:// or rediss:// (TLS) URL, with user/password and db. */
export function redisConnection(url: string): { url: string; maxRetriesPerRequest: null } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(`--redis: not a URL: '${redact(url)}' (use redis://:PASSWORD@HOST:PORT or rediss:// for TLS)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new UserError(`--redis: use a redis:// or rediss:// URL, got '${u.protocol}'`);
  }
  return { url, maxRetriesPerRequest: null };
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/**
 * A connection that is gone, not ready yet, or a server that is starting or failing over: worth
 * waiting for. ioredis' and the system's words, Redis' transient replies, and withTimeout's own.
 */
const CONNECTION_ERROR = new RegExp([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE',
  'Connection is closed', '^(?:LOADING|BUSY|TRYAGAIN|MASTERDOWN|READONLY|CLUSTERDOWN) ', 'no answer within',
].join('|'));

export const isConnectionError = (err: unknown): boolean =>
  CONNECTION_ERROR.test(err instanceof Error ? err.message : String(err));

/** `p`, or an error once `ms` have passed without an answer (p's own late failure is then ignored). */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e); });
  });
}

/**
 * One connection attempt with a time limit — a wrong host, port or password is one clear message
 * instead of endless reconnecting — that also reads the server's settings: the one-line warning of
 * `redisRisks`, or undefined when queued jobs are safe.
 */
export async function probeRedis(url: string, timeoutMs = 10_000): Promise<{ warning?: string }> {
  const { Redis } = await import('ioredis'); // loaded on use: `fmnist --help` names REDIS_ENV without it
  const probe = new Redis(url, {
    lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null,
  });
  let why = '';
  probe.on('error', (e: Error) => { why ||= e.message; });
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    probe.disconnect();
    throw new UserError(`cannot reach Redis at ${redact(url)}: ${why || (err as Error).message} `
      + '(is it running, and are the host, port and password right?)');
  }
  try {
    return { warning: redisRisks(await readSettings(probe)) };
  } finally {
    probe.disconnect();
  }
}

/** What decides whether jobs survive: eviction policy and persistence; `save` undefined when CONFIG is refused. */
export interface RedisSettings { policy: string; aof: boolean; save?: string }

async function readSettings(client: Redis): Promise<RedisSettings> {
  // INFO always answers; CONFIG is often renamed or refused on managed Redis, and only `save` needs it.
  const info = (section: string, key: string) => new RegExp(`^${key}:(.*)$`, 'm').exec(section)?.[1]?.trim() ?? '';
  const memory = await client.info('memory');
  const persistence = await client.info('persistence');
  let save: string | undefined;
  try {
    save = ((await client.config('GET', 'save')) as string[])[1] ?? '';
  } catch { /* unknown */ }
  return { policy: info(memory, 'maxmemory_policy') || 'unknown', aof: info(persistence, 'aof_enabled') === '1', save };
}

/** One line when Redis may lose queued jobs (eviction, no or partial persistence), else undefined. */
export function redisRisks(s: RedisSettings): string | undefined {
  const risks: string[] = [];
  if (s.policy !== 'noeviction') {
    risks.push(`maxmemory-policy is ${s.policy}, so it may evict jobs when memory runs short`);
  }
  if (!s.aof && s.save === '') {
    risks.push('no persistence (appendonly no, save ""), so a restart loses every job and result');
  } else if (!s.aof && s.save === undefined) {
    risks.push('appendonly is off and its snapshot settings cannot be read (CONFIG refused)');
  } else if (!s.aof) {
    risks.push(`only snapshots (save "${s.save}"), so a restart loses what changed since the last one`);
  }
  if (!risks.length) return undefined;
  return `redis: warning: ${risks.join('; ')}: lost jobs are queued again but their training is lost; `
    + `start Redis with --appendonly yes --maxmemory-policy noeviction (${REDIS_GUIDE})`;
}

/**
 * How long Redis has been unreachable, told once when it goes and once when it comes back. Past
 * the limit, `failed` throws: the coordinator stops with exit 2 instead of waiting for ever, and
 * a rerun continues (finished runs are in their folders and the store; queued ones stay queued).
 */
export class RedisWatch {
  private downSince?: number;

  constructor(
    private readonly url: string,
    private readonly limitSeconds: number,
    private readonly say: (line: string) => void = () => {},
  ) {}

  ok(): void {
    if (this.downSince === undefined) return;
    this.say(`redis: reachable again after ${Math.round((Date.now() - this.downSince) / 1000)} s`);
    this.downSince = undefined;
  }

  failed(why: string): void {
    const now = Date.now();
    if (this.downSince === undefined) {
      this.downSince = now;
      this.say(`redis: unreachable (${why}); waiting up to ${this.limitSeconds} s for it to come back`);
    } else if (now - this.downSince > this.limitSeconds * 1000) {
      throw new UserError(`Redis at ${redact(this.url)} has been unreachable for over ${this.limitSeconds} s (${why}): `
        + 'stopped; what finished is saved, so rerun the same command once Redis is back to continue');
    }
  }
}

/** The help of the coordinators' --redis-wait. */
export const REDIS_WAIT_HELP =
  'with --redis: seconds Redis may stay unreachable before the command stops with exit 2 (a rerun continues)';
