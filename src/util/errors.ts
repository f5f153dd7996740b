/**
 * A UserError is a problem with what the user gave us (a file, a flag, a config) or with the
 * machine we run on (a full disk, a read-only folder, a locked database).
 * The CLI prints its message as one line and exits non-zero, without a stack trace
 * (unless --debug). Anything else that escapes is a bug and is shown with its stack.
 */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

/** The message of anything thrown, for one-line reports. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * What went wrong and what to do, for the environment failures a user can fix (by errno, and by
 * SQLite's result codes as better-sqlite3 reports them).
 */
const ENVIRONMENT: Record<string, string> = {
  ENOSPC: 'no space left on the device; free some space or write somewhere else',
  EDQUOT: 'disk quota exceeded; free some space or write somewhere else',
  EFBIG: 'file too large for this file system; write somewhere else',
  EACCES: 'permission denied; check its permissions or choose another path',
  EPERM: 'operation not permitted; check its permissions or choose another path',
  EROFS: 'read-only file system; write somewhere else',
  EISDIR: 'is a folder where a file was expected; give a file name',
  ENOTDIR: 'a part of this path is not a folder; check the path',
  ENOENT: 'no such file or folder; check the path',
  EMFILE: 'too many open files; raise the limit (ulimit -n) or run fewer jobs at once',
  EIO: 'input/output error from the device; check the disk',
  SQLITE_BUSY: 'database is locked by another process; wait for it to finish or use another --db',
  SQLITE_LOCKED: 'database is locked; wait for the other process or use another --db',
  SQLITE_READONLY: 'database is read-only; check its permissions or use another --db',
  SQLITE_FULL: 'no space left for the database; free some space or use another --db',
  SQLITE_CANTOPEN: 'cannot open the database; check the path and its permissions',
  SQLITE_NOTADB: 'not an SQLite database; pass a run store made by fmnist',
  SQLITE_CORRUPT: 'the database is damaged; restore it from a backup or use another --db',
  SQLITE_IOERR: 'input/output error on the database; check the disk (is it full?)',
};

/** An errno / SQLite code this process cannot fix but the user can, or undefined. */
export function environmentCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (code in ENVIRONMENT) return code;
  // SQLITE_IOERR_WRITE, SQLITE_BUSY_SNAPSHOT, … → their primary code.
  return Object.keys(ENVIRONMENT).find((c) => c.startsWith('SQLITE_') && code.startsWith(`${c}_`));
}

/**
 * Name the file a failed operation was about: when Node did not name it (e.g. on write), or named
 * `instead` (a temp file the user never asked for).
 */
export function withPath<E>(err: E, path: string, instead?: string): E {
  const named = (err as { path?: unknown } | null)?.path;
  if (err && typeof err === 'object' && environmentCode(err) && (!named || named === instead)) {
    try { (err as { path?: string }).path = path; } catch { /* frozen */ }
  }
  return err;
}

/**
 * The error as a UserError when the user can fix it: a UserError as it is, an environment failure
 * (full disk, no permission, locked database, …) as one line naming the path and what to do.
 * Undefined for anything else, which is a bug.
 */
export function asUserError(err: unknown): UserError | undefined {
  if (err instanceof UserError) return err;
  const code = environmentCode(err);
  if (!code) return undefined;
  const e = err as { path?: unknown; dest?: unknown; syscall?: unknown };
  const path = typeof e.path === 'string' ? e.path : undefined;
  const out = new UserError(`${path ? `${path}: ` : ''}${ENVIRONMENT[code]} (${(err as { code: string }).code})`);
  if (err instanceof Error && err.stack) out.stack = `${out.stack}\ncaused by: ${err.stack}`;
  return out;
}
