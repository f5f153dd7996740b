/**
 * Tests' own Redis: a real redis-server on 127.0.0.1, a free port, a random password and a folder
 * of its own, that a test can kill and start again on the same port — with its data (append-only
 * file) or without. Tests that need it skip, saying why, where redis-server is not installed.
 * Also what those tests share: `fmnist` processes with their output, waits that fail instead of
 * hanging, and the run store as `fmnist runs list` shows it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

const root = fileURLToPath(new URL('../..', import.meta.url));

const haveRedis = spawnSync('redis-server', ['--version']).status === 0;
/** node:test's `skip` for tests that need redis-server. */
export const skipWithoutRedis: false | string = haveRedis ? false
  : 'redis-server is not installed (apt-get install redis-server, or run scripts/setup.js as root)';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface RedisSetup {
  /** Append-only file on (the data survives a restart); default off, and no snapshots either. */
  persist?: boolean;
  /** More redis-server arguments, e.g. ['--maxmemory-policy', 'allkeys-lru']. */
  args?: string[];
}

export class TestRedis {
  readonly url: string;
  private proc?: ChildProcess;

  private constructor(readonly dir: string, readonly port: number, private readonly password: string) {
    this.url = `redis://:${password}@127.0.0.1:${port}`;
  }

  /** A new server in `dir` on a free port, answering PING when this resolves. */
  static async start(dir: string, o: RedisSetup = {}): Promise<TestRedis> {
    mkdirSync(dir, { recursive: true });
    const r = new TestRedis(dir, await freePort(), randomBytes(12).toString('hex'));
    await r.launch(o);
    return r;
  }

  /** Start it again on the same port and password (after `kill`), with or without persistence. */
  async launch(o: RedisSetup = {}): Promise<void> {
    this.proc = spawn('redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--requirepass', this.password, '--dir', this.dir,
      '--save', '', '--appendonly', o.persist ? 'yes' : 'no', ...(o.args ?? []),
    ], { stdio: 'ignore' });
    const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => { /* not up yet: retried below */ });
    for (let i = 0; ; i++) {
      try {
        await client.connect();
        await client.ping();
        break;
      } catch (err) {
        if (i > 100 || this.proc.exitCode !== null) throw err;
        client.disconnect();
        await sleep(100);
      }
    }
    client.disconnect();
  }

  /** kill -9 (no chance to write anything), resolved once the process is gone. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  }
}

/** How a process ended, with all it printed. */
export interface Ended { code: number | null; signal: NodeJS.Signals | null; out: string }

/** A running `fmnist` command: its output so far (stdout and stderr) and its end. */
export interface Cli {
  proc: ChildProcess;
  log(): string;
  exited: Promise<Ended>;
}

/** `fmnist ARGS` from the repository root (one training thread); every one started is listed in `started`. */
export function spawnCli(args: string[], started?: Cli[]): Cli {
  let out = '';
  const proc = spawn(process.execPath, [join(root, 'bin/fmnist.js'), '--threads', '1', ...args],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (b) => { out += b; });
  proc.stderr!.on('data', (b) => { out += b; });
  const exited = new Promise<Ended>((r) => proc.on('exit', (code, signal) => r({ code, signal, out })));
  const cli = { proc, log: () => out, exited };
  started?.push(cli);
  return cli;
}

/** SIGKILL whatever of `clis` still runs, and wait for each to be gone. */
export async function killAll(clis: Cli[]): Promise<void> {
  await Promise.all(clis.map(async (c) => {
    if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await c.exited;
  }));
}

/** Poll `check` every 100 ms; an error naming `what` after `ms`, so a test fails instead of hanging. */
export async function waitFor(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await sleep(100);
  }
}

/** A process's end, or an error after `ms` (the process is then killed): for asserting "it exits in time". */
export async function exitWithin(cli: Cli, ms: number): Promise<Ended & { ms: number }> {
  const t0 = Date.now();
  const timer = setTimeout(() => cli.proc.kill('SIGKILL'), ms);
  const r = await cli.exited;
  clearTimeout(timer);
  if (r.signal === 'SIGKILL') throw new Error(`still running ${ms / 1000} s later (killed):\n${r.out}`);
  return { ...r, ms: Date.now() - t0 };
}

/** The run store's rows, as `fmnist runs list --json` prints them. */
export interface Row { name: string; status: string; group: string; seconds: number | null; outDir: string }

export function runsIn(db: string): Row[] {
  const args = [join(root, 'bin/fmnist.js'), 'runs', 'list', '--json', '--db', db];
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fmnist runs list failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Row[];
}

/** Child processes of `pid` (from /proc; Linux). */
export function childrenOf(pid: number): number[] {
  const kids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      // The command name is in parentheses and may hold spaces: the fields after it are fixed.
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) kids.push(Number(e));
    } catch { /* gone meanwhile */ }
  }
  return kids;
}

/** Whether a process still runs (a zombie, dead but not yet reaped, does not). */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
