/**
 * `fmnist serve`: a local, read-only web app over the run store, run folders and the dataset.
 *
 * Safe by default: binds 127.0.0.1 unless told otherwise; answers only to Host names it knows (IP
 * addresses, localhost: a DNS-rebinding page cannot read it) and takes POSTs only from its own
 * pages; serves only its own pages, its bundled scripts and, of a run folder, only model.json and
 * weights.bin (by run id: no path from the request ever reaches the file system); refuses traversal
 * in any encoding, malformed queries, oversize and non-image uploads with a 4xx and one clear
 * line; never writes (the store is opened read-only); a failing request is answered with 500 and
 * logged, never brings the server down.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { isIP, type AddressInfo } from 'node:net';
import { UserError } from '../util/errors.ts';
import { ClientGone, HttpError, checkHost, checkSameOrigin, pathSegments, queryOf, send, sendJson } from './http.ts';
import { page } from './pages.ts';
import { esc, section } from '../report/html/page.ts';
import { ROUTES, WebApp, type Ctx, type Route } from './routes.ts';

export interface ServeOptions {
  db: string;
  host?: string;
  /** 0: any free port. */
  port?: number;
  study?: string;
  dataDir?: string;
  /** Uploads above this many bytes are refused with 413 (default 5 MB). */
  maxUpload?: number;
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const MAX_UPLOAD = 5_000_000;

/** The route for a path (first match wins) and its parameters (`:id` segments). */
function match(seg: string[]): { route: Route; params: Record<string, string> } | undefined {
  for (const route of ROUTES) {
    const parts = route.path.split('/').filter(Boolean);
    if (parts.length !== seg.length) continue;
    const params: Record<string, string> = {};
    if (parts.every((p, i) => (p.startsWith(':') ? ((params[p.slice(1)] = seg[i]), true) : p === seg[i])))
      return { route, params };
  }
  return undefined;
}

async function handle(app: WebApp, hosts: Set<string>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  checkHost(req, hosts);
  const url = req.url ?? '/';
  const found = match(pathSegments(url));
  if (!found) throw new HttpError(404, 'no such page');
  const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
  const handler = found.route[method as 'GET' | 'POST'];
  if (!handler) {
    const allow = [...(found.route.GET ? ['GET', 'HEAD'] : []), ...(found.route.POST ? ['POST'] : [])].join(', ');
    throw new HttpError(
      405,
      found.route.POST ? 'use POST with the image as the body' : 'this server is read-only: GET only',
      { allow },
    );
  }
  if (method !== 'GET') checkSameOrigin(req);
  const ctx: Ctx = { req, res, q: queryOf(url), p: found.params };
  await handler(app, ctx);
}

/** Answer a failed request (4xx with its one line, 500 logged with its stack) unless the client is gone. */
function fail(err: unknown, req: IncomingMessage, res: ServerResponse, log: (line: string) => void): void {
  const status = err instanceof HttpError ? err.status : err instanceof UserError ? 400 : 500;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof ClientGone) {
    log(`${req.method} ${req.url}: ${message}`);
    res.destroy();
    return;
  }
  if (status === 500) log(`error on ${req.method} ${req.url}: ${(err as Error).stack ?? message}`);
  if (res.headersSent) {
    res.end();
    return;
  }
  const wantsJson =
    (req.url ?? '').startsWith('/api/') || String(req.headers.accept ?? '').includes('application/json');
  const headers = {
    ...(err instanceof HttpError ? err.headers : {}),
    ...(status === 413 ? { connection: 'close' } : {}),
  };
  if (wantsJson) send(res, status, 'application/json; charset=utf-8', JSON.stringify({ error: message }), headers);
  else
    send(
      res,
      status,
      'text/html; charset=utf-8',
      page(
        `${status}`,
        section('error', `Error ${status}`, `<p>${esc(message)}</p><p><a href="/">back to the runs</a></p>`),
        '',
      ),
      headers,
    );
  // An upload refused before it was read: drain (and drop) the rest so the client gets the answer,
  // for at most 10 s, then hang up.
  if (status === 413) {
    req.resume();
    setTimeout(() => req.destroy(), 10_000).unref();
  }
}

/**
 * Host names this server answers to besides IP addresses: localhost, and the machine's name when it
 * listens beyond loopback.
 */
function hostNames(host: string): Set<string> {
  const names = new Set(['localhost']);
  if (!isIP(host)) names.add(host.toLowerCase());
  if (!['127.0.0.1', '::1', 'localhost'].includes(host)) names.add(hostname().toLowerCase());
  return names;
}

/** Why listening failed, as one line the user can act on (the port or address given), or the error itself. */
export function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  const why: Record<string, string> = {
    EADDRINUSE: `port ${port} is in use: choose another with --port (0 picks a free one)`,
    EACCES: `port ${port} needs administrator rights (ports below 1024): choose one from 1024 up with --port`,
    EADDRNOTAVAIL:
      `--host ${host} is not an address of this machine: ` + 'use 127.0.0.1 (the default), or one of its own addresses',
    ENOTFOUND: `--host ${host}: no such host name; give an IP address of this machine, or 127.0.0.1`,
    EAI_AGAIN: `--host ${host}: the name could not be looked up (no DNS answer); give an IP address instead`,
  };
  const code = err.code ?? '';
  return why[code] ? new UserError(`${why[code]} (${code})`) : err;
}

export function startServer(o: ServeOptions): Promise<RunningServer> {
  const log = o.log ?? (() => {});
  const host = o.host ?? '127.0.0.1';
  const app = new WebApp({ db: o.db, study: o.study, dataDir: o.dataDir, maxUpload: o.maxUpload ?? MAX_UPLOAD });
  const hosts = hostNames(host);
  const server = createServer((req, res) => {
    handle(app, hosts, req, res).catch((err: unknown) => fail(err, req, res, log));
  });
  // Not HTTP at all (a parse error): answer 400 when the socket still takes it, then hang up.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  return new Promise((ok, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, host, o.port ?? 8080)));
    server.listen(o.port ?? 8080, host, () => {
      const addr = server.address() as AddressInfo;
      const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      ok({
        url: `http://${shown}:${addr.port}`,
        server,
        close: () =>
          new Promise<void>((done) => {
            app.closeStreams();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
