/**
 * `fmnist serve`: a local, read-only web app over the run store, run folders and the dataset.
 *
 * Safe by default: binds 127.0.0.1 unless told otherwise; serves only its own pages, its bundled
 * scripts and, of a run folder, only model.json and weights.bin (by run id: no path from the
 * request ever reaches the file system); refuses traversal in any encoding, malformed queries,
 * oversize and non-image uploads with a 4xx and one clear line; never writes (the store is opened
 * read-only); a failing request is answered with 500 and logged, never brings the server down.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import type * as tf from '@tensorflow/tfjs';
import { CLASS_NAMES, IMAGE_SIZE, NUM_CLASSES } from '../data/classes.ts';
import { classCounts, loadFashionMnist, type FashionMnist } from '../data/dataset.ts';
import { normalizationFor } from '../data/preprocess.ts';
import { chartToSvg } from '../draw/charts.ts';
import { learningCurvesSpec } from '../draw/learning_curves.ts';
import { predictImage } from '../evaluate/image_input.ts';
import { collectReport, viewOfRow, type RunView } from '../report/html/collect.ts';
import { renderHtmlReport } from '../report/html/report.ts';
import { empty, section } from '../report/html/page.ts';
import { cvBlock, tuneBlock } from '../report/html/sections.ts';
import { loadModel, readModelMetadata } from '../store/model_io.ts';
import { compareRuns, RunStore, type RunDetail, type RunRow } from '../store/run_store.ts';
import { runFile } from '../train/run_folder.ts';
import { UserError } from '../util/errors.ts';
import { bundle, type Entry } from './bundle.ts';
import { metricsCsv, metricsJson } from './export.ts';
import { HttpError, choiceParam, intParam, pathSegments, queryOf, readBody, send, sendHtml, sendJson } from './http.ts';
import { watchRun, type LiveEvent } from './live.ts';
import { comparePage, dataPage, livePage, page, runPage, runsPage, tryPage } from './pages.ts';

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
const PAGE_SIZE = 100;
const PIXELS = IMAGE_SIZE * IMAGE_SIZE;
/** Image formats the predict endpoint takes (what `fmnist predict` decodes). */
const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'];

export function startServer(o: ServeOptions): Promise<RunningServer> {
  const log = o.log ?? (() => {});
  const maxUpload = o.maxUpload ?? MAX_UPLOAD;
  const streams = new Set<() => void>();
  let data: FashionMnist | undefined;
  const dataset = () => (data ??= loadFashionMnist({ dataDir: o.dataDir }));
  const models = new Map<number, Promise<tf.LayersModel>>();

  /** Read the store (read-only, opened per request so other processes' writes show at once). */
  function withStore<T>(fn: (s: RunStore) => T): T {
    if (!existsSync(o.db)) throw new HttpError(404, `no run store at ${o.db} yet: train a model first`);
    const store = RunStore.openReadOnly(o.db);
    try {
      return fn(store);
    } finally {
      store.close();
    }
  }
  const allRows = (): RunRow[] => (existsSync(o.db) ? withStore((s) => s.listRuns()) : []);
  function detail(id: number): RunDetail {
    return withStore((s) => {
      try {
        return s.getRun(id);
      } catch (err) {
        if (err instanceof UserError) throw new HttpError(404, `no run ${id}: see the runs list at /`);
        throw err;
      }
    });
  }
  const view = (d: RunDetail): RunView => viewOfRow(d, d.epochs);
  /** A run folder holding a saved model, or 404. */
  function modelDir(id: number): string {
    const d = detail(id);
    if (!d.outDir || !existsSync(runFile(d.outDir, 'model'))) throw new HttpError(404, `run ${id} has no saved model (yet)`);
    return d.outDir;
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const seg = pathSegments(url);
    const q = queryOf(url);
    const [a, b, c, d] = seg;
    const method = req.method ?? 'GET';
    const isPredict = a === 'api' && b === 'runs' && d === 'predict';
    if (isPredict ? method !== 'POST' : method !== 'GET' && method !== 'HEAD') {
      throw new HttpError(405, isPredict ? 'use POST with the image as the body' : 'this server is read-only: GET only');
    }
    if (seg.length > 4) throw new HttpError(404, 'no such page');

    if (!a) {
      const rows = allRows();
      return sendHtml(res, runsPage(rows, { kind: q.get('kind') ?? '', status: q.get('status') ?? '', q: (q.get('q') ?? '').slice(0, 100), group: q.get('group') ?? '' }));
    }
    if (a === 'runs' && b && !d) {
      const id = intParam(b, 'run id', { min: 1 });
      const r = detail(id);
      if (c === 'curves.svg') return send(res, 200, 'image/svg+xml', r.epochs.length ? await chartToSvg(learningCurvesSpec(r.epochs)) : '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="40"><text x="10" y="25">no epoch finished yet</text></svg>');
      if (c) throw new HttpError(404, 'no such page');
      return sendHtml(res, await runPage(view(r)));
    }
    if (a === 'compare' && !b) {
      const ids = (q.getAll('ids').length > 1 ? q.getAll('ids') : (q.get('ids') ?? '').split(',')).filter(Boolean).map((s) => intParam(s, 'ids', { min: 1 }));
      if (ids.length < 1 || ids.length > 20) throw new HttpError(400, 'ids must list 1 to 20 run ids, e.g. /compare?ids=3,5');
      const runs = ids.map(detail);
      return sendHtml(res, await comparePage(runs.map(view), compareRuns(runs).differingSettings));
    }
    if (a === 'live' && b && !c) {
      return sendHtml(res, livePage(view(detail(intParam(b, 'run id', { min: 1 })))));
    }
    if (a === 'studies' && !b) {
      const r = collectReport({ db: o.db, study: o.study });
      const tunes = r.tunes.length ? (await Promise.all(r.tunes.map(tuneBlock))).join('') : empty('no tuning study yet');
      const cvs = r.cvs.length ? r.cvs.map(cvBlock).join('') : empty('no cross-validation yet');
      return sendHtml(res, page('Studies', section('tuning', 'Tuning', tunes) + section('cv', 'Cross-validation', cvs), '/studies'));
    }
    if (a === 'report' && !b) return sendHtml(res, await renderHtmlReport(collectReport({ db: o.db, study: o.study })));
    if (a === 'try' && !b) {
      const runs = allRows().filter((r) => r.outDir && existsSync(runFile(r.outDir, 'model')));
      const run = q.get('run') ? intParam(q.get('run'), 'run', { min: 1 }) : undefined;
      if (run !== undefined && !runs.some((r) => r.id === run)) throw new HttpError(404, `no run ${run} with a saved model`);
      return sendHtml(res, tryPage(runs.reverse(), run));
    }
    if (a === 'data') return dataRoute(b, q, res);
    if (a === 'assets' && b && !c) {
      const entry = b.replace(/\.js$/, '');
      if (!b.endsWith('.js') || (entry !== 'try' && entry !== 'live')) throw new HttpError(404, 'no such asset');
      return send(res, 200, 'text/javascript; charset=utf-8', await bundle(entry as Entry));
    }
    if (a === 'api') return apiRoute(seg.slice(1), q, req, res);
    throw new HttpError(404, 'no such page');
  }

  async function dataRoute(sub: string | undefined, q: URLSearchParams, res: ServerResponse): Promise<void> {
    const split = choiceParam(q.get('split'), 'split', ['train', 'test'] as const, 'train');
    const ds = dataset();
    const s = ds[split];
    if (sub === 'image.png') {
      const index = intParam(q.get('index'), 'index', { min: 0, max: s.count - 1 });
      const png = await sharp(Buffer.from(s.images.subarray(index * PIXELS, (index + 1) * PIXELS)), { raw: { width: IMAGE_SIZE, height: IMAGE_SIZE, channels: 1 } }).png().toBuffer();
      return send(res, 200, 'image/png', png, { 'cache-control': 'max-age=3600' });
    }
    if (sub) throw new HttpError(404, 'no such page');
    const cls = q.get('class') ? intParam(q.get('class'), 'class', { min: 0, max: NUM_CLASSES - 1 }) : null;
    const all = Array.from({ length: s.count }, (_, i) => i).filter((i) => cls === null || s.labels[i] === cls);
    const pages = Math.max(1, Math.ceil(all.length / PAGE_SIZE));
    const pg = intParam(q.get('page'), 'page', { min: 0, max: pages - 1, fallback: 0 });
    return sendHtml(res, dataPage({ split, cls, page: pg, pages, indices: all.slice(pg * PAGE_SIZE, (pg + 1) * PAGE_SIZE), counts: classStats().counts, means: classStats().means }));
  }

  let stats: { counts: Record<string, number[]>; means: Record<string, number[]> } | undefined;
  /** Images per class and the mean pixel (0–1) per class, per split; computed once. */
  function classStats() {
    if (stats) return stats;
    const ds = dataset();
    const counts: Record<string, number[]> = {};
    const means: Record<string, number[]> = {};
    for (const split of ['train', 'test'] as const) {
      const s = ds[split];
      counts[split] = classCounts(s.labels);
      const sums = new Array(NUM_CLASSES).fill(0);
      for (let i = 0; i < s.count; i++) { let t = 0; for (let p = 0; p < PIXELS; p++) t += s.images[i * PIXELS + p]; sums[s.labels[i]] += t; }
      means[split] = sums.map((t, k) => t / (counts[split][k] * PIXELS * 255));
    }
    return (stats = { counts, means });
  }

  async function apiRoute(seg: string[], q: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const [a, b, c] = seg;
    if (a === 'runs' && !b) return sendJson(res, 200, { runs: allRows() });
    if (a === 'export' && (b === 'metrics.csv' || b === 'metrics.json') && !c) {
      const runs = withStore((s) => s.listRuns().map((r) => s.getRun(r.id)));
      return b.endsWith('.csv') ? send(res, 200, 'text/csv; charset=utf-8', metricsCsv(runs), { 'content-disposition': 'attachment; filename="fmnist-metrics.csv"' }) : sendJson(res, 200, metricsJson(runs));
    }
    if (a !== 'runs' || !b) throw new HttpError(404, 'no such endpoint');
    const id = intParam(b, 'run id', { min: 1 });
    if (!c) return sendJson(res, 200, detail(id));
    if (c === 'metrics.csv') return send(res, 200, 'text/csv; charset=utf-8', metricsCsv([detail(id)]), { 'content-disposition': `attachment; filename="run-${id}-metrics.csv"` });
    if (c === 'metrics.json') return sendJson(res, 200, metricsJson([detail(id)]));
    if (c === 'model.json' || c === 'weights.bin') {
      const dir = modelDir(id);
      return send(res, 200, c === 'model.json' ? 'application/json' : 'application/octet-stream', readFileSync(runFile(dir, c === 'model.json' ? 'model' : 'weights')));
    }
    if (c === 'events') return events(id, req, res);
    if (c === 'predict') return predict(id, req, res);
    throw new HttpError(404, 'no such endpoint');
  }

  /** Server-sent events of a run's progress until it ends or its folder disappears. */
  function events(id: number, req: IncomingMessage, res: ServerResponse): void {
    const d = detail(id);
    if (!d.outDir) throw new HttpError(404, `run ${id} has no folder to watch`);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(': watching\n\n');
    const finish = () => { stop(); streams.delete(finish); res.end(); };
    const stop = watchRun(d.outDir, (e: LiveEvent) => {
      res.write(`event: ${e.type}\ndata: ${JSON.stringify(e.type === 'gone' ? { message: `the run folder ${d.outDir} was deleted` } : e.progress)}\n\n`);
      if (e.type !== 'progress') finish();
    }, {
      // The store marks a run whose process died as interrupted (or failed); run.json cannot.
      deadStatus: () => {
        try {
          const status = detail(id).status;
          return status === 'interrupted' || status === 'failed' ? status : undefined;
        } catch {
          return undefined;
        }
      },
    });
    streams.add(finish);
    req.on('close', finish);
  }

  /** `fmnist predict`'s own path on an uploaded image: the same conversion (with sharp) and inference. */
  async function predict(id: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (!IMAGE_TYPES.includes(type)) throw new HttpError(415, `send a PNG, JPEG, WebP or GIF image as the request body (content-type ${IMAGE_TYPES.join(', ')}), not '${type || 'nothing'}'`);
    const dir = modelDir(id);
    const body = await readBody(req, maxUpload);
    if (!body.length) throw new HttpError(400, 'the upload is empty');
    let model = models.get(id);
    if (!model) {
      model = loadModel(dir);
      models.set(id, model);
      model.catch(() => models.delete(id));
    }
    let probs: Float32Array;
    try {
      probs = await predictImage(await model, body, normalizationFor(readModelMetadata(dir)));
    } catch (err) {
      if (err instanceof UserError) throw new HttpError(415, err.message.replace(/^upload: /, 'the upload is '));
      throw err;
    }
    const top = Array.from(probs, (p, k) => ({ className: CLASS_NAMES[k] ?? String(k), probability: p })).sort((x, y) => y.probability - x.probability).slice(0, 3);
    return sendJson(res, 200, { run: id, top });
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : err instanceof UserError ? 400 : 500;
      const message = err instanceof Error ? err.message : String(err);
      if (status === 500) log(`error on ${req.method} ${req.url}: ${(err as Error).stack ?? message}`);
      if (res.headersSent) { res.end(); return; }
      const wantsJson = (req.url ?? '').startsWith('/api/') || String(req.headers.accept ?? '').includes('application/json');
      if (status === 413) res.setHeader('connection', 'close');
      if (wantsJson) sendJson(res, status, { error: message });
      else send(res, status, 'text/html; charset=utf-8', page(`${status}`, section('error', `Error ${status}`, `<p>${message.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)}</p><p><a href="/">back to the runs</a></p>`), ''));
      // An upload refused before it was read: drain (and drop) the rest so the client gets the answer,
      // for at most 10 s, then hang up.
      if (status === 413) {
        req.resume();
        setTimeout(() => req.destroy(), 10_000).unref();
      }
    });
  });
  // Not HTTP at all (a parse error): answer 400 when the socket still takes it, then hang up.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  return new Promise((ok, fail) => {
    server.once('error', (err: NodeJS.ErrnoException) => fail(err.code === 'EADDRINUSE' ? new UserError(`port ${o.port} is in use: choose another with --port`) : err));
    server.listen(o.port ?? 8080, o.host ?? '127.0.0.1', () => {
      const addr = server.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      ok({
        url: `http://${host}:${addr.port}`,
        server,
        close: () => new Promise<void>((done) => {
          for (const s of [...streams]) s();
          server.close(() => done());
          server.closeAllConnections();
        }),
      });
    });
  });
}
