/**
 * The run store: every train, tuning trial and CV fold is a row in one SQLite database
 * (default runs/fmnist.db) with its config, seed, backend, versions, data checksums, per-epoch
 * metrics, final metrics, artifact paths, status and timings. Artifacts stay files on disk; the
 * database points at them.
 *
 * Concurrency: WAL mode (readers never block the writer), a busy timeout so parallel trial
 * processes wait for each other instead of failing, and every multi-statement write in a
 * transaction. A run whose process died without finishing is shown as interrupted, never as
 * done: its pid is no longer alive on the host that started it.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { TrainConfig } from '../config.ts';
import type { EpochMetrics, RunRecorder, RunStatus } from '../train/types.ts';
import { differingKeys } from '../util/diff.ts';
import { UserError, asUserError, withPath } from '../util/errors.ts';

export const DEFAULT_DB = 'runs/fmnist.db';
/** Environment variable naming the run store file (overrides DEFAULT_DB). */
export const DB_ENV = 'FMNIST_DB';

/** The run store file when none is given: FMNIST_DB, else runs/fmnist.db. */
export function defaultDbPath(): string {
  return process.env[DB_ENV] ?? DEFAULT_DB;
}
/** How long a writer waits for another process's transaction, ms. */
const BUSY_TIMEOUT_MS = 30_000;

const MIGRATIONS = [
  `CREATE TABLE runs (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     kind TEXT NOT NULL,
     grp TEXT,
     name TEXT,
     status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted', 'pruned')),
     out_dir TEXT,
     config TEXT NOT NULL,
     meta TEXT NOT NULL,
     seed INTEGER,
     backend TEXT,
     final_metrics TEXT,
     artifacts TEXT,
     error TEXT,
     pid INTEGER NOT NULL,
     host TEXT NOT NULL,
     started_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     finished_at TEXT,
     seconds REAL
   );
   CREATE INDEX runs_group ON runs (grp);
   CREATE INDEX runs_out_dir ON runs (out_dir);
   CREATE TABLE epochs (
     run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
     epoch INTEGER NOT NULL,
     metrics TEXT NOT NULL,
     PRIMARY KEY (run_id, epoch)
   );`,
];

export interface RunRow {
  id: number;
  kind: string;
  group: string | null;
  name: string | null;
  status: RunStatus;
  outDir: string | null;
  config: TrainConfig;
  seed: number | null;
  backend: string | null;
  /** The compute precision the run trained in (meta.precision; runs from before it existed: fp32). */
  precision: 'fp32' | 'bf16';
  finalMetrics: Record<string, number> | null;
  artifacts: Record<string, string> | null;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
  seconds: number | null;
}

/** How a run ended; `seconds` overrides the time since its row was started (see finishRun). */
export interface RunEnd {
  metrics?: Record<string, number>;
  error?: string;
  artifacts?: Record<string, string>;
  seconds?: number;
}

export interface RunDetail extends RunRow {
  meta: Record<string, unknown>;
  epochs: EpochMetrics[];
}

interface DbRow {
  id: number; kind: string; grp: string | null; name: string | null; status: RunStatus; out_dir: string | null;
  config: string; meta: string; seed: number | null; backend: string | null; final_metrics: string | null;
  artifacts: string | null; error: string | null; pid: number; host: string; started_at: string;
  updated_at: string; finished_at: string | null; seconds: number | null;
}

const parse = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T));

function toRow(r: DbRow): RunRow {
  return {
    id: r.id, kind: r.kind, group: r.grp, name: r.name, status: r.status, outDir: r.out_dir,
    config: JSON.parse(r.config) as TrainConfig, seed: r.seed, backend: r.backend,
    precision: (JSON.parse(r.meta) as { precision?: string }).precision === 'bf16' ? 'bf16' : 'fp32',
    finalMetrics: parse(r.final_metrics), artifacts: parse(r.artifacts), error: r.error,
    startedAt: r.started_at, finishedAt: r.finished_at, seconds: r.seconds,
  };
}

/** Whether process `pid` is alive on this machine (EPERM: alive but not ours). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const DEAD_RUN = 'the process ended without finishing the run';

export class RunStore {
  private constructor(private readonly db: Database.Database, readonly path: string, readonly readOnly = false) {}

  /** Open (creating it and its folder when missing) the run store, for commands that record runs. */
  static open(path = defaultDbPath()): RunStore {
    const full = resolve(path);
    let db: Database.Database;
    try {
      mkdirSync(dirname(full), { recursive: true });
      db = new Database(full, { timeout: BUSY_TIMEOUT_MS });
      // WAL is a property of the file: switching needs an exclusive lock, which SQLite may refuse at once
      // (SQLITE_BUSY, no busy wait) while another process has it open, so only the first opener switches.
      if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      // NORMAL is durable in WAL mode against process crashes; only an OS crash can lose the last commit.
      db.pragma('synchronous = NORMAL');
    } catch (err) {
      throw storeError(err, full, 'cannot open the run store');
    }
    const store = new RunStore(db, full);
    store.guard(() => store.migrate());
    return store;
  }

  /**
   * Open an existing run store for reading only (`fmnist runs …`): never creates a file or a folder,
   * never writes (a run whose process died is shown as interrupted without recording it).
   */
  static openReadOnly(path = defaultDbPath()): RunStore {
    const full = resolve(path);
    if (!existsSync(full)) throw new UserError(`${full}: no run store here (nothing has been recorded in it); check --db / ${DB_ENV}`);
    if (statSync(full).isDirectory()) throw new UserError(`${full}: is a folder, not a run store; pass the database file to --db`);
    let db: Database.Database;
    try {
      db = new Database(full, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    } catch (err) {
      throw storeError(err, full, 'cannot open the run store');
    }
    const store = new RunStore(db, full, true);
    store.guard(() => {
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > MIGRATIONS.length) throw new UserError(`${full}: made by a newer fashion-mnist-lab (schema ${version}); upgrade to read it`);
      if (version < 1) throw new UserError(`${full}: not a run store made by fmnist (no runs table)`);
    });
    return store;
  }

  /** Run `fn`, naming this store's file in any SQLite error (e.g. 'database is locked'). */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw storeError(err, this.path);
    }
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) throw new UserError(`${this.path}: made by a newer fashion-mnist-lab (schema ${version}); upgrade to read it`);
    // Up to date: write nothing. A commit here (even of the same user_version) makes every other process's
    // open read snapshot stale, and SQLite refuses such a reader's upgrade to a writer at once (SQLITE_BUSY,
    // no busy wait): a trial recording its epoch failed so while another process opened the store.
    if (version === MIGRATIONS.length) return;
    // BEGIN IMMEDIATE: two processes opening a fresh database must not both migrate it.
    this.db.transaction(() => {
      const now = this.db.pragma('user_version', { simple: true }) as number;
      for (let v = now; v < MIGRATIONS.length; v++) this.db.exec(MIGRATIONS[v]);
      this.db.pragma(`user_version = ${MIGRATIONS.length}`);
    }).immediate();
  }

  close(): void {
    this.db.close();
  }

  /**
   * Start a run, or take over the unfinished run recorded for the same folder (a --resume):
   * one folder is one run, however many processes it took to finish it.
   */
  startRun(o: { kind: string; group?: string; name?: string; outDir?: string; config: TrainConfig; meta: Record<string, unknown> }): number {
    return this.guard(() => this.startRunNow(o));
  }

  private startRunNow(o: { kind: string; group?: string; name?: string; outDir?: string; config: TrainConfig; meta: Record<string, unknown> }): number {
    const now = new Date().toISOString();
    const backend = (o.meta.backend as { name?: string } | undefined)?.name ?? null;
    return this.db.transaction(() => {
      const previous = o.outDir
        ? (this.db.prepare(`SELECT id FROM runs WHERE out_dir = ? AND status != 'done' ORDER BY id DESC LIMIT 1`).get(o.outDir) as { id: number } | undefined)
        : undefined;
      if (previous) {
        this.db.prepare(`UPDATE runs SET status = 'running', pid = ?, host = ?, meta = ?, backend = ?, error = NULL, updated_at = ? WHERE id = ?`)
          .run(process.pid, hostname(), JSON.stringify(o.meta), backend, now, previous.id);
        return previous.id;
      }
      const info = this.db.prepare(
        `INSERT INTO runs (kind, grp, name, status, out_dir, config, meta, seed, backend, pid, host, started_at, updated_at)
         VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(o.kind, o.group ?? null, o.name ?? null, o.outDir ?? null, JSON.stringify(o.config), JSON.stringify(o.meta), o.config.seed ?? null, backend, process.pid, hostname(), now, now);
      return Number(info.lastInsertRowid);
    }).immediate();
  }

  appendEpoch(runId: number, m: EpochMetrics): void {
    this.guard(() => this.db.transaction(() => {
      this.db.prepare(`INSERT OR REPLACE INTO epochs (run_id, epoch, metrics) VALUES (?, ?, ?)`).run(runId, m.epoch, JSON.stringify(m));
      this.db.prepare(`UPDATE runs SET updated_at = ? WHERE id = ?`).run(new Date().toISOString(), runId);
    }).immediate());
  }

  /**
   * Record a run's end. Its time is `seconds` when given — the training time of a run recorded
   * after the fact (trained by a remote worker, or found finished in its folder) — else the time
   * since the row was started.
   */
  finishRun(runId: number, status: RunStatus, r: RunEnd): void {
    this.guard(() => this.finishRunNow(runId, status, r));
  }

  private finishRunNow(runId: number, status: RunStatus, r: RunEnd): void {
    const now = new Date();
    const row = this.db.prepare(`SELECT started_at FROM runs WHERE id = ?`).get(runId) as { started_at: string } | undefined;
    if (!row) throw new Error(`run ${runId} is not in ${this.path}`);
    this.db.prepare(
      `UPDATE runs SET status = ?, final_metrics = ?, artifacts = ?, error = ?, finished_at = ?, updated_at = ?, seconds = ? WHERE id = ?`,
    ).run(status, r.metrics ? JSON.stringify(r.metrics) : null, r.artifacts ? JSON.stringify(r.artifacts) : null, r.error ?? null,
      now.toISOString(), now.toISOString(), r.seconds ?? (now.getTime() - Date.parse(row.started_at)) / 1000, runId);
  }

  /** 'running' rows whose process is gone (on this host). */
  private deadRuns(): number[] {
    const host = hostname();
    const running = this.db.prepare(`SELECT id, pid FROM runs WHERE status = 'running' AND host = ?`).all(host) as { id: number; pid: number }[];
    return running.filter((r) => r.pid !== process.pid && !alive(r.pid)).map((r) => r.id);
  }

  /**
   * Runs whose process died are interrupted: recorded as such by a writer; a read-only store shows
   * them so (the ids returned) without writing.
   */
  private reapDead(): Set<number> {
    const dead = this.deadRuns();
    if (!dead.length || this.readOnly) return new Set(dead);
    const mark = this.db.prepare(`UPDATE runs SET status = 'interrupted', error = '${DEAD_RUN}' WHERE id = ? AND status = 'running'`);
    this.db.transaction(() => dead.forEach((id) => mark.run(id))).immediate();
    return new Set();
  }

  private shown<R extends RunRow>(row: R, dead: Set<number>): R {
    return dead.has(row.id) ? { ...row, status: 'interrupted', error: DEAD_RUN } : row;
  }

  listRuns(f: { kind?: string; group?: string; status?: string } = {}): RunRow[] {
    return this.guard(() => {
      const dead = this.reapDead();
      const where: string[] = [];
      const args: unknown[] = [];
      if (f.kind) { where.push('kind = ?'); args.push(f.kind); }
      if (f.group) { where.push('grp = ?'); args.push(f.group); }
      const sql = `SELECT * FROM runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id`;
      const rows = (this.db.prepare(sql).all(...args) as DbRow[]).map((r) => this.shown(toRow(r), dead));
      return f.status ? rows.filter((r) => r.status === f.status) : rows;
    });
  }

  getRun(id: number): RunDetail {
    return this.guard(() => {
      const dead = this.reapDead();
      const r = this.db.prepare(`SELECT * FROM runs WHERE id = ?`).get(id) as DbRow | undefined;
      if (!r) throw new UserError(`no run ${id} in ${this.path}: see 'fmnist runs list'`);
      const epochs = (this.db.prepare(`SELECT metrics FROM epochs WHERE run_id = ? ORDER BY epoch`).all(id) as { metrics: string }[]).map((e) => JSON.parse(e.metrics) as EpochMetrics);
      return this.shown({ ...toRow(r), meta: JSON.parse(r.meta) as Record<string, unknown>, epochs }, dead);
    });
  }

  /** A RunRecorder for train(): the run appears when training starts and is updated every epoch. */
  recorder(o: { kind: 'train' | 'trial' | 'fold'; group?: string; name?: string }): RunRecorder {
    let id: number | undefined;
    return {
      start: ({ outDir, config, meta }) => { id = this.startRun({ ...o, outDir, config, meta }); },
      epoch: (m) => { if (id !== undefined) this.appendEpoch(id, m); },
      finish: (status, result) => { if (id !== undefined) this.finishRun(id, status, result); },
    };
  }
}

/**
 * A failure of the store as the user should see it: an environment problem (locked, read-only,
 * full, not a database, …) naming the file; a UserError as it is; anything else unchanged (a bug).
 */
function storeError(err: unknown, path: string, doing?: string): unknown {
  if (err instanceof UserError) return err;
  const named = withPath(err, path);
  if (asUserError(named)) return named;
  return doing ? new UserError(`${path}: ${doing} (${(err as Error).message})`) : err;
}

/** Runs side by side: each one's outcome, and the settings whose values are not the same in all of them. */
export function compareRuns(runs: RunDetail[]): {
  runs: { id: number; status: RunStatus; finalMetrics: Record<string, number> | null; seconds: number | null; epochs: number }[];
  differingSettings: Record<string, unknown[]>;
} {
  const configs = runs.map((r) => r.config as Record<string, unknown>);
  return {
    runs: runs.map((r) => ({ id: r.id, status: r.status, finalMetrics: r.finalMetrics, seconds: r.seconds, epochs: r.epochs.length })),
    differingSettings: Object.fromEntries(differingKeys(configs).map((k) => [k, configs.map((c) => c[k])])),
  };
}
