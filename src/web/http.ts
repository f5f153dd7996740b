/**
 * The server's request plumbing: a refusal is an HttpError (status + one clear line); paths are
 * decoded once, strictly, and anything that could name a file outside the routes (`..`, encoded
 * slashes or backslashes, NUL, a malformed escape) is refused before routing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { tooLarge } from './browser/shared.ts';

export class HttpError extends Error {
  /** `headers` go out with the refusal (405's Allow). */
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The client hung up before its request ended: nothing to answer, nothing wrong with the server. */
export class ClientGone extends HttpError {
  constructor() {
    super(400, 'the client closed the connection before the request body ended');
  }
}

/** The host name of a Host or Origin value, lower case, without port or IPv6 brackets. */
const hostName = (host: string) =>
  host
    .toLowerCase()
    .replace(/:\d+$/, '')
    .replace(/^\[(.*)\]$/, '$1');

/**
 * Refuse (421) a request whose Host header names anything but an IP address or one of `names`:
 * a page on a foreign domain whose name was re-pointed at this machine (DNS rebinding) sends its
 * own name as Host, and could otherwise read the runs.
 */
export function checkHost(req: IncomingMessage, names: Set<string>): void {
  const host = req.headers.host ?? '';
  const name = hostName(host);
  if (isIP(name) || names.has(name)) return;
  throw new HttpError(
    421,
    `this server answers to ${[...names].join(', ')} and IP addresses, ` +
      `not to Host '${host.slice(0, 100)}' (a guard against DNS rebinding)`,
  );
}

/**
 * Refuse (403) a write from another site: browsers send Origin (and Sec-Fetch-Site) with every
 * POST, so a form or fetch on a foreign page cannot use a local server as its own. A request with
 * neither (curl, scripts) is not a browser acting for someone else and passes.
 */
export function checkSameOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  const site = req.headers['sec-fetch-site'];
  let same = site === undefined || site === 'same-origin' || site === 'none';
  if (origin !== undefined) {
    try {
      same &&= new URL(origin).host === req.headers.host;
    } catch {
      same = false; // 'null' (a sandboxed page, a file) or garbage
    }
  }
  if (!same)
    throw new HttpError(
      403,
      `cross-origin requests are refused (Origin '${String(origin ?? site).slice(0, 100)}'); use the app's own pages`,
    );
}

/** The request's path segments, decoded; throws HttpError 400 on anything suspicious. */
export function pathSegments(rawUrl: string): string[] {
  const rawPath = rawUrl.split('?')[0];
  if (/%2f|%5c|%00/i.test(rawPath) || rawPath.includes('\\'))
    throw new HttpError(400, 'encoded slashes, backslashes and NUL bytes are not allowed in paths');
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    throw new HttpError(400, 'malformed percent-encoding in the path');
  }
  if (decoded.includes('\0')) throw new HttpError(400, 'NUL bytes are not allowed in paths');
  const segments = decoded.split('/').filter(Boolean);
  if (segments.some((s) => s === '..' || s === '.')) throw new HttpError(400, "'..' and '.' are not allowed in paths");
  if (!decoded.startsWith('/') || decoded.startsWith('//'))
    throw new HttpError(400, 'the path must be absolute and start with a single /');
  return segments;
}

/** The query string's parameters; a malformed escape is a 400. */
export function queryOf(rawUrl: string): URLSearchParams {
  const q = rawUrl.includes('?') ? rawUrl.slice(rawUrl.indexOf('?') + 1) : '';
  try {
    decodeURIComponent(q.replace(/\+/g, ' '));
  } catch {
    throw new HttpError(400, 'malformed percent-encoding in the query');
  }
  return new URLSearchParams(q);
}

/** A positive integer parameter (run id, page, index), with its name in the refusal. */
export function intParam(
  v: string | null | undefined,
  name: string,
  o: { min?: number; max?: number; fallback?: number } = {},
): number {
  if ((v === null || v === undefined || v === '') && o.fallback !== undefined) return o.fallback;
  const n = Number(v);
  const min = o.min ?? 0;
  if (
    v === null ||
    v === undefined ||
    !/^\d+$/.test(v) ||
    !Number.isSafeInteger(n) ||
    n < min ||
    (o.max !== undefined && n > o.max)
  ) {
    throw new HttpError(
      400,
      `${name} must be a whole number${o.max !== undefined ? ` from ${min} to ${o.max}` : ` ≥ ${min}`}, ` +
        `got '${String(v).slice(0, 40)}'`,
    );
  }
  return n;
}

/** One of the allowed values. */
export function choiceParam<T extends string>(v: string | null, name: string, allowed: readonly T[], fallback?: T): T {
  if ((v === null || v === '') && fallback !== undefined) return fallback;
  if (!allowed.includes(v as T))
    throw new HttpError(400, `${name} must be one of ${allowed.join(', ')}, got '${String(v).slice(0, 40)}'`);
  return v as T;
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Our own scripts and data: URIs only; nothing from the network.
  'content-security-policy':
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; " +
    "script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'",
};

export function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...SECURITY_HEADERS, ...headers });
  res.end(body);
}

export const sendJson = (res: ServerResponse, status: number, v: unknown) =>
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(v, null, 1));
export const sendHtml = (res: ServerResponse, html: string) => send(res, 200, 'text/html; charset=utf-8', html);

/** The request body, refused with 413 once it passes `limit` bytes (without reading the rest). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(new HttpError(413, tooLarge(declared, limit)));
  return new Promise((ok, fail) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        fail(new HttpError(413, tooLarge(`more than ${limit}`, limit)));
        req.pause();
        return;
      }
      parts.push(c);
    });
    req.on('end', () => ok(Buffer.concat(parts)));
    // A client that hangs up mid-upload ('aborted', then an ECONNRESET error) is not a server fault.
    req.on('error', () => fail(new ClientGone()));
    req.on('close', () => {
      if (!req.complete) fail(new ClientGone());
    });
  });
}
