/**
 * What `fmnist serve` answers: the route table (path pattern → a handler per method) and the
 * read-only state the handlers share (the store, opened per request; the dataset and models,
 * loaded once). server.ts matches, guards and reports errors; nothing here listens.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import sharp from 'sharp';
import type * as tf from '@tensorflow/tfjs';
import { CLASS_NAMES, IMAGE_SIZE, NUM_CLASSES } from '../data/classes.ts';
import { classCounts, loadFashionMnist, type FashionMnist } from '../data/dataset.ts';
import { normalizationFor } from '../data/preprocess.ts';
import { chartToSvg } from '../draw/charts.ts';
import { learningCurvesSpec } from '../draw/learning_curves.ts';
import { imageToFashion } from '../evaluate/image_input.ts';
import { predictProbabilities } from '../models/predict.ts';
import { collectReport, viewOfRow, type RunView } from '../report/html/collect.ts';
import { renderHtmlReport } from '../report/html/report.ts';
import { empty, section } from '../report/html/page.ts';
import { cvBlock, tuneBlock } from '../report/html/sections.ts';
import { loadModel, readModelMetadata } from '../store/model_io.ts';
import { compareRuns, RunStore, type RunDetail, type RunRow } from '../store/run_store.ts';
import { runFile } from '../train/run_folder.ts';
import { UserError } from '../util/errors.ts';
import { BLANK_PICTURE, isBlank } from './browser/shared.ts';
import { TAIL } from './browser/ood_math.ts';
import { fitOod, type Ood } from './ood.ts';
import { bundle, ENTRIES, type Entry } from './bundle.ts';
import { metricsCsv, metricsJson } from './export.ts';
import { HttpError, choiceParam, intParam, readBody, send, sendHtml, sendJson } from './http.ts';
import { watchRun, type LiveEvent } from './live.ts';
import { brushableParallel, comparePage, dataPage, livePage, page, runPage, tryPage, FAVICON_SVG } from './pages.ts';
import { runsPage, runsView } from './runs_page.ts';

const PAGE_SIZE = 100;
const PIXELS = IMAGE_SIZE * IMAGE_SIZE;
/** Image formats the predict endpoint takes (what `fmnist predict` decodes). */
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'];

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  q: URLSearchParams;
  p: Record<string, string>;
}
type Handler = (app: WebApp, c: Ctx) => unknown;
export interface Route {
  path: string;
  GET?: Handler;
  POST?: Handler;
}

/** The state every handler reads: nothing here writes. */
export class WebApp {
  private data?: FashionMnist;
  private stats?: { counts: Record<string, number[]>; means: Record<string, number[]> };
  readonly models = new Map<number, Promise<tf.LayersModel>>();
  private readonly oods = new Map<number, Promise<Ood | undefined>>();
  private readonly streams = new Set<() => void>();

  constructor(readonly o: { db: string; study?: string; dataDir?: string; maxUpload: number }) {}

  /** Read the store (read-only, opened per request so other processes' writes show at once). */
  withStore<T>(fn: (s: RunStore) => T): T {
    if (!existsSync(this.o.db)) throw new HttpError(404, `no run store at ${this.o.db} yet: train a model first`);
    const store = RunStore.openReadOnly(this.o.db);
    try {
      return fn(store);
    } finally {
      store.close();
    }
  }

  rows(): RunRow[] {
    return existsSync(this.o.db) ? this.withStore((s) => s.listRuns()) : [];
  }

  detail(id: number): RunDetail {
    return this.withStore((s) => {
      try {
        return s.getRun(id);
      } catch (err) {
        if (err instanceof UserError) throw new HttpError(404, `no run ${id}: see the runs list at /`);
        throw err;
      }
    });
  }

  /** A run folder holding a saved model, or 404. */
  modelDir(id: number): string {
    const d = this.detail(id);
    if (!d.outDir || !existsSync(runFile(d.outDir, 'model')))
      throw new HttpError(404, `run ${id} has no saved model (yet)`);
    return d.outDir;
  }

  model(id: number, dir: string): Promise<tf.LayersModel> {
    let m = this.models.get(id);
    if (!m) {
      m = loadModel(dir);
      this.models.set(id, m);
      m.catch(() => this.models.delete(id));
    }
    return m;
  }

  /** A model's out-of-distribution statistics (ood.ts), fitted on first use and kept. */
  ood(id: number, dir: string): Promise<Ood | undefined> {
    let o = this.oods.get(id);
    if (!o) {
      o = this.model(id, dir).then((m) => fitOod(m, this.dataset(), normalizationFor(readModelMetadata(dir))));
      this.oods.set(id, o);
      o.catch(() => this.oods.delete(id));
    }
    return o;
  }

  dataset(): FashionMnist {
    return (this.data ??= loadFashionMnist({ dataDir: this.o.dataDir }));
  }

  /** Images per class and the mean pixel (0–1) per class, per split; computed once. */
  classStats(): { counts: Record<string, number[]>; means: Record<string, number[]> } {
    if (this.stats) return this.stats;
    const ds = this.dataset();
    const counts: Record<string, number[]> = {};
    const means: Record<string, number[]> = {};
    for (const split of ['train', 'test'] as const) {
      const s = ds[split];
      counts[split] = classCounts(s.labels);
      const sums = new Array(NUM_CLASSES).fill(0);
      for (let i = 0; i < s.count; i++) {
        let t = 0;
        for (let p = 0; p < PIXELS; p++) t += s.images[i * PIXELS + p];
        sums[s.labels[i]] += t;
      }
      means[split] = sums.map((t, k) => t / (counts[split][k] * PIXELS * 255));
    }
    return (this.stats = { counts, means });
  }

  report() {
    return collectReport({ db: this.o.db, study: this.o.study });
  }

  addStream(stop: () => void): void {
    this.streams.add(stop);
  }
  dropStream(stop: () => void): void {
    this.streams.delete(stop);
  }
  closeStreams(): void {
    for (const s of [...this.streams]) s();
  }
}

const view = (d: RunDetail): RunView => viewOfRow(d, d.epochs);
const runId = (c: Ctx) => intParam(c.p.id, 'run id', { min: 1 });
const NO_EPOCH_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="40">' +
  '<text x="10" y="25">no epoch finished yet</text></svg>';

function runsList(app: WebApp, c: Ctx) {
  const rows = app.rows();
  sendHtml(c.res, page('Runs', runsPage(rows, runsView(c.q, rows)), '/'));
}

async function curves(app: WebApp, c: Ctx) {
  const r = app.detail(runId(c));
  send(c.res, 200, 'image/svg+xml', r.epochs.length ? await chartToSvg(learningCurvesSpec(r.epochs)) : NO_EPOCH_SVG);
}

async function compare(app: WebApp, c: Ctx) {
  const listed = c.q.getAll('ids').length > 1 ? c.q.getAll('ids') : (c.q.get('ids') ?? '').split(',');
  const ids = listed.filter(Boolean).map((s) => intParam(s, 'ids', { min: 1 }));
  if (ids.length < 1 || ids.length > 20)
    throw new HttpError(400, 'ids must list 1 to 20 run ids, e.g. /compare?ids=3,5');
  const runs = ids.map((id) => app.detail(id));
  sendHtml(c.res, await comparePage(runs.map(view), compareRuns(runs).differingSettings));
}

async function studies(app: WebApp, c: Ctx) {
  const r = app.report();
  const tunes = r.tunes.length
    ? (await Promise.all(r.tunes.map((t) => tuneBlock(t, brushableParallel)))).join('')
    : empty('no tuning study yet');
  const cvs = r.cvs.length ? r.cvs.map(cvBlock).join('') : empty('no cross-validation yet');
  sendHtml(
    c.res,
    page(
      'Studies',
      section('tuning', 'Tuning', tunes) + section('cv', 'Cross-validation', cvs),
      '/studies',
      '/assets/charts.js',
    ),
  );
}

function tryIt(app: WebApp, c: Ctx) {
  const runs = app.rows().filter((r) => r.outDir && existsSync(runFile(r.outDir, 'model')));
  const run = c.q.get('run') ? intParam(c.q.get('run'), 'run', { min: 1 }) : undefined;
  if (run !== undefined && !runs.some((r) => r.id === run))
    throw new HttpError(404, `no run ${run} with a saved model`);
  sendHtml(c.res, tryPage(runs.reverse(), run, app.o.maxUpload));
}

function dataBrowse(app: WebApp, c: Ctx) {
  const split = choiceParam(c.q.get('split'), 'split', ['train', 'test'] as const, 'train');
  const s = app.dataset()[split];
  const cls = c.q.get('class') ? intParam(c.q.get('class'), 'class', { min: 0, max: NUM_CLASSES - 1 }) : null;
  const all = Array.from({ length: s.count }, (_, i) => i).filter((i) => cls === null || s.labels[i] === cls);
  const pages = Math.max(1, Math.ceil(all.length / PAGE_SIZE));
  const pg = intParam(c.q.get('page'), 'page', { min: 0, max: pages - 1, fallback: 0 });
  const indices = all.slice(pg * PAGE_SIZE, (pg + 1) * PAGE_SIZE);
  const { counts, means } = app.classStats();
  sendHtml(
    c.res,
    dataPage({
      split,
      cls,
      page: pg,
      pages,
      tiles: indices.map((i) => ({ index: i, label: s.labels[i] })),
      counts,
      means,
    }),
  );
}

async function dataImage(app: WebApp, c: Ctx) {
  const split = choiceParam(c.q.get('split'), 'split', ['train', 'test'] as const, 'train');
  const s = app.dataset()[split];
  const index = intParam(c.q.get('index'), 'index', { min: 0, max: s.count - 1 });
  const raw = Buffer.from(s.images.subarray(index * PIXELS, (index + 1) * PIXELS));
  const png = await sharp(raw, { raw: { width: IMAGE_SIZE, height: IMAGE_SIZE, channels: 1 } })
    .png()
    .toBuffer();
  send(c.res, 200, 'image/png', png, { 'cache-control': 'max-age=3600' });
}

async function asset(_app: WebApp, c: Ctx) {
  const entry = c.p.file.replace(/\.js$/, '');
  if (!c.p.file.endsWith('.js') || !(entry in ENTRIES)) throw new HttpError(404, 'no such asset');
  send(c.res, 200, 'text/javascript; charset=utf-8', await bundle(entry as Entry));
}

function exportAll(app: WebApp, c: Ctx) {
  if (c.p.file !== 'metrics.csv' && c.p.file !== 'metrics.json') throw new HttpError(404, 'no such endpoint');
  const runs = app.withStore((s) => s.listRuns().map((r) => s.getRun(r.id)));
  if (c.p.file === 'metrics.json') return sendJson(c.res, 200, metricsJson(runs));
  send(c.res, 200, 'text/csv; charset=utf-8', metricsCsv(runs), {
    'content-disposition': 'attachment; filename="fmnist-metrics.csv"',
  });
}

/** A run's files by fixed name: its metrics, its saved model, its live progress. */
function runFileRoute(app: WebApp, c: Ctx) {
  const id = runId(c);
  const f = c.p.file;
  if (f === 'metrics.csv')
    return send(c.res, 200, 'text/csv; charset=utf-8', metricsCsv([app.detail(id)]), {
      'content-disposition': `attachment; filename="run-${id}-metrics.csv"`,
    });
  if (f === 'metrics.json') return sendJson(c.res, 200, metricsJson([app.detail(id)]));
  if (f === 'model.json' || f === 'weights.bin') {
    const file = runFile(app.modelDir(id), f === 'model.json' ? 'model' : 'weights');
    return send(c.res, 200, f === 'model.json' ? 'application/json' : 'application/octet-stream', readFileSync(file));
  }
  if (f === 'events') return events(app, id, c);
  if (f === 'ood.json') return oodJson(app, id, c);
  throw new HttpError(404, 'no such endpoint');
}

/**
 * What the page needs to tell a picture unlike Fashion-MNIST (browser/ood_math.ts); 404 for a model
 * without a Dense layer.
 */
async function oodJson(app: WebApp, id: number, c: Ctx): Promise<void> {
  const ood = await app.ood(id, app.modelDir(id));
  if (!ood) throw new HttpError(404, `run ${id}'s model has no Dense layer to read features at`);
  send(c.res, 200, 'application/json; charset=utf-8', JSON.stringify({ ...ood.stats, tail: TAIL }));
}

/** Server-sent events of a run's progress until it ends or its folder disappears. */
function events(app: WebApp, id: number, c: Ctx): void {
  const d = app.detail(id);
  if (!d.outDir) throw new HttpError(404, `run ${id} has no folder to watch`);
  const res = c.res;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  res.write(': watching\n\n');
  const finish = () => {
    stop();
    app.dropStream(finish);
    res.end();
  };
  const gone = `the run folder ${d.outDir} was deleted`;
  const stop = watchRun(
    d.outDir,
    (e: LiveEvent) => {
      res.write(`event: ${e.type}\ndata: ${JSON.stringify(e.type === 'gone' ? { message: gone } : e.progress)}\n\n`);
      if (e.type !== 'progress') finish();
    },
    {
      // The store marks a run whose process died as interrupted (or failed); run.json cannot.
      deadStatus: () => {
        try {
          const status = app.detail(id).status;
          return status === 'interrupted' || status === 'failed' ? status : undefined;
        } catch {
          return undefined;
        }
      },
    },
  );
  app.addStream(finish);
  c.req.on('close', finish);
}

/**
 * `fmnist predict`'s own path on an uploaded image: the same conversion (with sharp) and inference.
 * The answer carries the 28x28 picture the model saw, so the page classifies exactly that.
 */
async function predict(app: WebApp, c: Ctx): Promise<void> {
  const id = runId(c);
  const type = String(c.req.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  if (!IMAGE_TYPES.includes(type))
    throw new HttpError(
      415,
      `send a PNG, JPEG, WebP or GIF image as the request body (content-type ${IMAGE_TYPES.join(', ')}), ` +
        `not '${type || 'nothing'}'`,
    );
  const dir = app.modelDir(id);
  const body = await readBody(c.req, app.o.maxUpload);
  if (!body.length) throw new HttpError(400, 'the upload is empty');
  let pixels: Uint8Array;
  try {
    pixels = await imageToFashion(body);
  } catch (err) {
    // image_input names the formats it was first written for; the server takes all four.
    const why = err instanceof UserError ? /\((.*)\)$/.exec(err.message)?.[1] : undefined;
    if (err instanceof UserError)
      throw new HttpError(
        415,
        `the upload is not a readable image: send a PNG, JPEG, WebP or GIF${why ? ` (${why})` : ''}`,
      );
    throw err;
  }
  if (isBlank(pixels)) throw new HttpError(422, BLANK_PICTURE);
  const probs = predictProbabilities(
    await app.model(id, dir),
    pixels,
    Int32Array.of(0),
    normalizationFor(readModelMetadata(dir)),
  );
  const top = Array.from(probs, (p, k) => ({ className: CLASS_NAMES[k] ?? String(k), probability: p }))
    .sort((x, y) => y.probability - x.probability)
    .slice(0, 3);
  sendJson(c.res, 200, { run: id, top, input: Array.from(pixels) });
}

export const ROUTES: Route[] = [
  { path: '/', GET: runsList },
  { path: '/runs/:id', GET: async (app, c) => sendHtml(c.res, await runPage(view(app.detail(runId(c))))) },
  { path: '/runs/:id/curves.svg', GET: curves },
  { path: '/compare', GET: compare },
  { path: '/live/:id', GET: (app, c) => sendHtml(c.res, livePage(view(app.detail(runId(c))))) },
  { path: '/studies', GET: studies },
  { path: '/report', GET: async (app, c) => sendHtml(c.res, await renderHtmlReport(app.report())) },
  { path: '/try', GET: tryIt },
  { path: '/data', GET: dataBrowse },
  { path: '/data/image.png', GET: dataImage },
  { path: '/assets/:file', GET: asset },
  {
    path: '/favicon.svg',
    GET: (_app, c) => send(c.res, 200, 'image/svg+xml', FAVICON_SVG, { 'cache-control': 'max-age=86400' }),
  },
  // Browsers ask for /favicon.ico where a page names no icon (a JSON or SVG opened directly).
  {
    path: '/favicon.ico',
    GET: (_app, c) => send(c.res, 200, 'image/svg+xml', FAVICON_SVG, { 'cache-control': 'max-age=86400' }),
  },
  { path: '/api/runs', GET: (app, c) => sendJson(c.res, 200, { runs: app.rows() }) },
  { path: '/api/export/:file', GET: exportAll },
  { path: '/api/runs/:id', GET: (app, c) => sendJson(c.res, 200, app.detail(runId(c))) },
  { path: '/api/runs/:id/predict', POST: predict },
  { path: '/api/runs/:id/:file', GET: runFileRoute },
];
