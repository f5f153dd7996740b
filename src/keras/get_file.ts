/**
 * The one way files (Keras' ImageNet weights) are fetched: `getFile(fname, origin, { fileHash,
 * cacheSubdir })`, after Keras' `keras.utils.get_file`:
 *
 * 1. look in Keras' own cache (`$KERAS_HOME` or `~/.keras`, then `<cacheSubdir>/<fname>`), so a file
 *    Python Keras already downloaded is used as it is, then in ours (`$FMNIST_CACHE_DIR` or
 *    `./.cache`); a cached file is used only if it still matches the pinned hash;
 * 2. else download `origin` into our cache with a progress bar on stderr, hashing while writing to
 *    a temp file beside the target, and rename it into place only if the hash matches (atomic: a
 *    reader never sees a partial or wrong file);
 * 3. offline, say in one line which file to place where.
 *
 * Hashes are Keras' `hash_algorithm='auto'`: sha256 when 64 hex digits, else md5.
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { tempPathFor } from '../util/atomic.ts';
import { UserError, errorMessage } from '../util/errors.ts';
import { Progress } from '../util/progress.ts';

export interface GetFileOptions {
  /** Pinned md5 (32 hex digits) or sha256 (64); null/undefined: not checked (as Keras). */
  fileHash?: string | null;
  /** Sub-folder of each cache (Keras uses 'models' for application weights). */
  cacheSubdir?: string;
  /** Where downloads go (default: our cache). */
  cacheDir?: string;
  /** Progress bar on stderr (default true). */
  progress?: boolean;
  timeoutMs?: number;
}

/** Keras' cache root: $KERAS_HOME, else ~/.keras (keras.config.keras_home). */
export function kerasHome(): string {
  return resolve(process.env.KERAS_HOME || join(homedir(), '.keras'));
}

/** Our cache root: $FMNIST_CACHE_DIR, else ./.cache. */
export function ourCacheDir(): string {
  return resolve(process.env.FMNIST_CACHE_DIR || '.cache');
}

export function hashAlgorithm(fileHash: string): 'sha256' | 'md5' {
  return fileHash.length === 64 ? 'sha256' : 'md5';
}

export async function hashFile(path: string, algorithm: 'sha256' | 'md5'): Promise<string> {
  const h = createHash(algorithm);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The places a cached copy may be, in the order they are tried. */
export function cachePaths(fname: string, cacheSubdir = 'models'): string[] {
  const paths = [join(kerasHome(), cacheSubdir, fname), join(ourCacheDir(), cacheSubdir, fname)];
  return [...new Set(paths)];
}

/** Network failures that mean "cannot reach the host" rather than a bad answer from it. */
const OFFLINE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);

function offlineMessage(fname: string, origin: string, subdir: string): string {
  return `cannot download ${fname} (offline?): place Keras' file ${fname} (from ${origin}) in ${join(kerasHome(), subdir)}/ or ${join(ourCacheDir(), subdir)}/`;
}

/**
 * Where `origin` is fetched from: itself, or $FMNIST_WEIGHTS_MIRROR + the file name when a mirror
 * of Keras' files is set (a local copy of storage.googleapis.com/…).
 */
export function resolveOrigin(fname: string, origin: string): string {
  const mirror = process.env.FMNIST_WEIGHTS_MIRROR;
  return mirror ? mirror.replace(/\/?$/, '/') + fname : origin;
}

/** Keras' get_file for single files: the local path of `fname`, downloading it if needed. */
export async function getFile(fname: string, origin: string, opts: GetFileOptions = {}): Promise<string> {
  if (!fname || /[\\/]/.test(fname)) throw new UserError(`getFile: '${fname}' must be a plain file name`);
  const subdir = opts.cacheSubdir ?? 'models';
  const fileHash = opts.fileHash ? opts.fileHash.toLowerCase() : null;
  const algorithm = fileHash ? hashAlgorithm(fileHash) : null;

  for (const p of cachePaths(fname, subdir)) {
    if (!existsSync(p) || !statSync(p).isFile()) continue;
    if (!fileHash) return p;
    if ((await hashFile(p, algorithm!)) === fileHash) return p;
    process.stderr.write(`${p}: ${algorithm} does not match the pinned ${fileHash} (incomplete or outdated); not used\n`);
  }

  const target = join(resolve(opts.cacheDir ?? ourCacheDir()), subdir, fname);
  mkdirSync(join(target, '..'), { recursive: true });
  const url = resolveOrigin(fname, origin);
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000) });
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as NodeJS.ErrnoException).code;
    if (!code || OFFLINE_CODES.has(code) || (err as Error).name === 'TimeoutError') throw new UserError(offlineMessage(fname, origin, subdir));
    throw new UserError(`${url}: ${code ?? errorMessage(err)}`);
  }
  if (!res.ok || !res.body) throw new UserError(`${url}: HTTP ${res.status} ${res.statusText}`.trim());

  const declared = Number(res.headers.get('content-length') ?? NaN);
  const bar = opts.progress === false ? undefined : new Progress({ total: Number.isFinite(declared) ? declared : 0, unit: 'B', label: `downloading ${fname}` });
  const tmp = tempPathFor(target);
  const hasher = createHash(algorithm ?? 'md5');
  let got = 0;
  const fd = openSync(tmp, 'w');
  try {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        writeSync(fd, chunk);
        hasher.update(chunk);
        got += chunk.length;
        bar?.tick(chunk.length);
      }
    } catch (err) {
      throw new UserError(`${fname}: download was cut short after ${got} bytes (${errorMessage(err)}); try again`);
    }
    if (Number.isFinite(declared) && got !== declared) throw new UserError(`${fname}: download was cut short (${got} of ${declared} bytes); try again`);
    fsyncSync(fd);
    closeSync(fd);
    const digest = hasher.digest('hex');
    if (fileHash && digest !== fileHash) {
      throw new UserError(`${fname}: ${algorithm} of the download is ${digest}, not the pinned ${fileHash}: corrupt or not Keras' file; nothing was kept`);
    }
    renameSync(tmp, target);
    bar?.finish(fileHash ? `${algorithm} ok` : 'no hash pinned');
    return target;
  } catch (err) {
    try { closeSync(fd); } catch { /* already closed */ }
    rmSync(tmp, { force: true });
    throw err;
  }
}
