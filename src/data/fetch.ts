/**
 * `fmnist data fetch`: download the four official files from the official mirror, check each
 * against its published MD5, and write it atomically. Files already present and correct are kept.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError, errorMessage } from '../util/errors.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { Progress } from '../util/progress.ts';
import { DEBIAN_PACKAGE, LOCAL_DIR, OFFICIAL_FILES, OFFICIAL_MIRROR, type OfficialFile } from './source.ts';

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
/** Network errors that mean "no route to the mirror" rather than a bad answer from it. */
const OFFLINE_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'UND_ERR_CONNECT_TIMEOUT']);

export interface FetchResult {
  dir: string;
  files: { file: string; status: 'downloaded' | 'present'; bytes: number; md5: string }[];
}

function offlineHint(mirror: string): string {
  return `cannot reach ${mirror} (offline?): install Debian's ${DEBIAN_PACKAGE} (apt-get install ${DEBIAN_PACKAGE}) or pass --data-dir DIR with the four files`;
}

/** GET a URL fully into memory with a progress bar; refuses short or failed bodies. */
export async function download(url: string, label: string, opts: { timeoutMs?: number; progress?: boolean } = {}): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000) });
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as NodeJS.ErrnoException).code;
    const e = new Error(`${code ?? errorMessage(err)}`) as Error & { offline?: boolean };
    e.offline = code ? OFFLINE_CODES.has(code) : true;
    throw e;
  }
  if (!res.ok || !res.body) throw new UserError(`${url}: HTTP ${res.status} ${res.statusText}`);
  const declared = Number(res.headers.get('content-length') ?? NaN);
  const bar = opts.progress === false ? undefined : new Progress({ total: Number.isFinite(declared) ? declared : 0, unit: 'B', label });
  const chunks: Uint8Array[] = [];
  let got = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      chunks.push(chunk);
      got += chunk.length;
      bar?.tick(chunk.length);
    }
  } catch (err) {
    throw new UserError(`${label}: download was cut short after ${got} bytes (${errorMessage(err)}); try again`);
  }
  if (Number.isFinite(declared) && got !== declared) {
    throw new UserError(`${label}: download was cut short (${got} of ${declared} bytes); try again`);
  }
  bar?.finish();
  return Buffer.concat(chunks);
}

/** `files` defaults to the four official files; tests pass their own names and checksums. */
export async function fetchFashionMnist(opts: { dir?: string; mirror?: string; progress?: boolean; timeoutMs?: number; files?: readonly Pick<OfficialFile, 'stem' | 'gzMd5'>[] } = {}): Promise<FetchResult> {
  const dir = resolve(opts.dir ?? LOCAL_DIR);
  const mirror = (opts.mirror ?? process.env.FMNIST_MIRROR ?? OFFICIAL_MIRROR).replace(/\/?$/, '/');
  const result: FetchResult = { dir, files: [] };
  for (const spec of opts.files ?? OFFICIAL_FILES) {
    const name = `${spec.stem}.gz`;
    const target = join(dir, name);
    if (existsSync(target)) {
      const have = readFileSync(target);
      if (md5(have) === spec.gzMd5) {
        result.files.push({ file: name, status: 'present', bytes: have.length, md5: spec.gzMd5 });
        continue;
      }
    }
    let body: Uint8Array;
    try {
      body = await download(mirror + name, name, opts);
    } catch (err) {
      if ((err as { offline?: boolean }).offline) throw new UserError(offlineHint(mirror));
      throw err;
    }
    const got = md5(body);
    if (got !== spec.gzMd5) {
      throw new UserError(`${name}: checksum mismatch (MD5 ${got}, published ${spec.gzMd5}); the download is corrupt, nothing was written; try again`);
    }
    writeFileAtomic(target, body);
    result.files.push({ file: name, status: 'downloaded', bytes: body.length, md5: got });
  }
  return result;
}
