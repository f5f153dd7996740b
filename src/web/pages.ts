/**
 * The app's pages, rendered on the server with the report's own sections (report/html/), so a run
 * looks the same in the report file and in the app. Only "Try it" and "Live" carry a script.
 */
import { CLASS_NAMES } from '../data/classes.ts';
import { chartToSvg } from '../draw/charts.ts';
import { overlaySpec } from '../draw/learning_curves.ts';
import { evaluationsOf, modelOf, settingApplies, type RunView } from '../report/html/collect.ts';
import { empty, esc, htmlPage, section, svgImage, table } from '../report/html/page.ts';
import { evaluationBlock, runBlock, type ParallelWrap } from '../report/html/sections.ts';
import type { RunRow } from '../store/run_store.ts';
import { runColour } from '../draw/palette.ts';
import type { EpochMetrics } from '../train/types.ts';
import { pct } from '../util/format.ts';

/** What the upload field offers: the formats the predict endpoint decodes. */
const IMAGE_ACCEPT = 'image/png,image/jpeg,image/webp,image/gif';

const NAV: [string, string][] = [
  ['/', 'Runs'],
  ['/studies', 'Studies'],
  ['/data', 'Data'],
  ['/try', 'Try it'],
  ['/report', 'Report'],
  ['/api/export/metrics.csv', 'Export CSV'],
  ['/api/export/metrics.json', 'Export JSON'],
];

/** The app's icon (a hanger), so no page asks for a missing /favicon.ico. */
export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#16202e"/>' +
  '<path d="M16 6a3 3 0 0 1 3 3c0 2-3 2.5-3 5L5 22h22L16 14" fill="none" stroke="#c9d6ea" stroke-width="2.2"' +
  ' stroke-linejoin="round"/></svg>';

/** What only the app's pages need on top of the report's stylesheet: the interactive charts. */
const APP_STYLE = `
.chart-controls { display: flex; gap: 14px; flex-wrap: wrap; align-items: center; font-size: 13px; margin: 8px 0; }
.chart-plot { position: relative; max-width: 960px; }
.ichart { width: 100%; height: auto; display: block; user-select: none; touch-action: none; cursor: crosshair; }
.ichart .grid { stroke: #e6e9ef; } .ichart .cursor { stroke: #888; stroke-dasharray: 3,3; }
.ichart text { font-size: 11px; fill: #444; } .ichart .axis-title { font-size: 12px; fill: #222; }
.chart-tip { position: absolute; top: 8px; background: #fff; border: 1px solid var(--line); border-radius: 4px;
  padding: 4px 8px; font-size: 12px; pointer-events: none; box-shadow: 0 2px 6px #0002; max-width: 320px; }
.chart-legend { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: center; font-size: 12px; max-width: 960px; }
.legend-item { background: none; color: var(--fg); padding: 2px 4px; }
.legend-item.off { opacity: 0.35; text-decoration: line-through; }
.parallel { width: 100%; height: auto; display: block; user-select: none; touch-action: none; cursor: ns-resize; }
.parallel text { font-size: 11px; fill: #333; } .parallel .end-value { font-size: 10px; }
.parallel .brush { fill: #2a6fdb33; stroke: #2a6fdb; }
.columns { font-size: 13px; margin: 6px 0 10px; } .columns summary { cursor: pointer; color: var(--accent); }
.col-choice { white-space: nowrap; margin-right: 8px; }
a.sort { color: inherit; text-decoration: none; } a.sort:hover { text-decoration: underline; }
#results { flex: 1 1 280px; max-width: 440px; } .pad-col { max-width: 300px; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: middle; }
.legend-item .swatch { width: 18px; height: 0; border-top: 3px solid; }
`;

export function page(title: string, body: string, here: string, script?: string): string {
  const nav = NAV.map(([href, text]) => `<a href="${href}"${href === here ? ' class="here"' : ''}>${text}</a>`).join(
    '',
  );
  const head =
    `<link rel="icon" type="image/svg+xml" href="/favicon.svg"><style>${APP_STYLE}</style>` +
    (script ? `<script type="module" src="${script}"></script>` : '');
  return htmlPage({ title, body, nav, head });
}

/** The JSON block a page script reads: `<` escaped so no value can end the script element. */
const jsonBlock = (id: string, v: unknown) =>
  `<script type="application/json" id="${id}">${JSON.stringify(v).replace(/</g, '\\u003c')}</script>`;

let charts = 0;
/**
 * `staticChart` (the server's SVG, kept for a page whose script is blocked) in a box the page's
 * script turns into the interactive chart of these runs, their epochs embedded as JSON.
 */
export function interactiveChart(
  runs: { id: number | null; label: string; epochs: EpochMetrics[] }[],
  staticChart: string,
): string {
  const id = `chart-data-${++charts}`;
  return `<div class="ichart-box" data-chart="${id}">${staticChart}</div>${jsonBlock(
    id,
    runs.map((r, i) => ({ ...r, colour: runColour(i) })),
  )}`;
}

/** The report's parallel-coordinates chart in a box the studies page's script makes brushable. */
export const brushableParallel: ParallelWrap = (staticChart, data) => {
  const id = `parallel-data-${++charts}`;
  return `<div class="parallel-box" data-parallel="${id}">${staticChart}</div>${jsonBlock(id, data)}`;
};

export const runHref = (r: RunView) => (r.id === null ? '#' : `/runs/${r.id}`);

export async function runPage(r: RunView): Promise<string> {
  const evals = evaluationsOf(r);
  const links =
    r.id === null
      ? ''
      : `<p><a href="/try?run=${r.id}">Try this model</a> · <a href="/live/${r.id}">Live progress</a> · ` +
        `export <a href="/api/runs/${r.id}/metrics.csv">CSV</a> <a href="/api/runs/${r.id}/metrics.json">JSON</a></p>`;
  // Every recorded key, those that do not apply to this run (a transfer run's model, an ordinary run's mode) muted.
  const config = table(
    ['setting', 'value'],
    Object.entries(r.config).map(([k, v]) =>
      settingApplies(r.config, k)
        ? [esc(k), `<code>${esc(JSON.stringify(v))}</code>`]
        : [
            `<span class="muted">${esc(k)}</span>`,
            `<span class="muted">${esc(JSON.stringify(v))} (recorded, not used by this run)</span>`,
          ],
    ),
  );
  const evalHtml = evals.length
    ? (await Promise.all(evals.map((e) => evaluationBlock(e, runHref)))).join('')
    : empty(`no evaluation yet: run 'fmnist evaluate ${r.outDir ?? '<run folder>'}'`);
  const curves = (chart: string) => interactiveChart([{ id: r.id, label: r.name, epochs: r.epochs }], chart);
  const body =
    section('run', 'Training', links + (await runBlock(r, runHref, 'curves', curves))) +
    section('evaluation', 'Evaluation', evalHtml) +
    section('config', 'Configuration', config);
  return page(`Run ${r.id ?? ''} ${r.name}`, body, '', '/assets/charts.js');
}

/**
 * Settings values as text, numbers to the fewest significant digits (≥ 3) that keep the row's
 * different values different: 0.40025997266639024 beside 0.1 reads 0.400.
 */
export function settingTexts(values: unknown[]): string[] {
  const distinct = new Set(values.map((v) => JSON.stringify(v))).size;
  const text = (v: unknown, digits: number) => {
    if (typeof v === 'string') return v;
    if (typeof v !== 'number' || Number.isInteger(v)) return JSON.stringify(v);
    const short = String(v);
    // A value that is exact at this precision (0.1, 2.5e-7) as written; else rounded, zeros kept (0.400).
    return Number(v.toPrecision(digits)) === v ? short : v.toPrecision(digits);
  };
  for (let digits = 3; digits < 17; digits++) {
    const texts = values.map((v) => text(v, digits));
    if (new Set(texts).size === distinct) return texts;
  }
  return values.map((v) => text(v, 17));
}

/** Escaped text that may wrap after a slash (file paths), not inside words. */
const breakable = (text: string) => esc(text).replace(/\//g, '/<wbr>');

export async function comparePage(runs: RunView[], differing: Record<string, unknown[]>): Promise<string> {
  const labelled = runs.map((r) => ({ id: r.id, label: `#${r.id} ${r.name}`, epochs: r.epochs }));
  const chart = interactiveChart(
    labelled,
    svgImage(await chartToSvg(overlaySpec(labelled)), 'overlaid learning curves'),
  );
  const keys = Object.keys(differing);
  const settings = keys.length
    ? table(
        ['setting', ...runs.map((r) => `#${r.id}`)],
        keys.map((k) => [
          esc(k),
          ...settingTexts(differing[k]).map((t, i) =>
            settingApplies(runs[i].config, k)
              ? `<code>${breakable(t)}</code>`
              : '<span class="muted" title="not used by this run">—</span>',
          ),
        ]),
      )
    : empty('every setting is the same in these runs');
  const outcome = table(
    ['run', 'model', 'status', 'epochs', 'val acc', 'val loss', 'time'],
    runs.map((r) => [
      `<a href="${runHref(r)}">#${r.id} ${esc(r.name)}</a>`,
      esc(modelOf(r)),
      esc(r.status),
      String(r.epochs.length),
      pct(r.final?.valAcc),
      r.final?.valLoss?.toFixed(4) ?? '—',
      r.seconds ? `${Math.round(r.seconds)} s` : '',
    ]),
  );
  return page(
    'Compare runs',
    section('compare', `Compare ${runs.length} runs`, chart + outcome + '<h3>Settings that differ</h3>' + settings),
    '/',
    '/assets/charts.js',
  );
}

export function livePage(r: RunView): string {
  const staticChart = `<img id="curves" class="chart" alt="learning curves" src="/runs/${r.id}/curves.svg">`;
  const body = section(
    'progress',
    `Live: ${r.name}`,
    `<p id="live" data-run="${r.id}">status <b id="status">${esc(r.status)}</b> · ` +
      `epoch <b id="epoch">${r.epochs.length}</b> of <b id="epochs">${esc(r.config.epochs ?? '?')}</b> · ` +
      `ETA <b id="eta">—</b></p>
${interactiveChart([{ id: r.id, label: r.name, epochs: r.epochs }], staticChart)}
<p class="muted">Updated as the training process writes its run folder (server-sent events).</p>`,
  );
  return page(`Live: run ${r.id}`, body, '', '/assets/live.js');
}

export function tryPage(models: RunRow[], selected: number | undefined, maxUpload: number): string {
  const options = models
    .map(
      (r) =>
        `<option value="${r.id}"${r.id === selected ? ' selected' : ''}>` +
        `#${r.id} ${esc(r.name ?? r.outDir?.split('/').pop() ?? '')} ` +
        `(${esc(modelOf(r))}, ${pct(r.finalMetrics?.valAcc)})</option>`,
    )
    .join('');
  const mb = `${(maxUpload / 1e6).toLocaleString('en')} MB`;
  const body = models.length
    ? section(
        'try',
        'Try a model on your own picture',
        `
<p><label>model <select id="run">${options}</select></label>
 <span id="model-status" class="muted" role="status">loading…</span></p>
<div class="row" id="try-app" data-max-upload="${maxUpload}">
 <div class="pad-col"><p class="muted" id="pad-help">Draw a garment, dark on white and filled in (the dataset's products are solid
  shapes), or upload a photo.</p>
  <canvas id="pad" width="280" height="280" role="img" aria-label="drawing pad, empty" aria-describedby="pad-help">
   drawing pad</canvas><br>
  <button id="clear" type="button">Clear</button> <button id="predict" type="button">Predict</button>
  <p><label for="upload">Upload a photo (PNG, JPEG, WebP or GIF, up to ${mb})</label><br>
  <input id="upload" type="file" accept="${IMAGE_ACCEPT}"></p></div>
 <div><h3>What the model sees (28x28)</h3>
  <canvas id="input28" width="168" height="168" role="img" aria-label="no picture yet">no picture yet</canvas>
  <h3>Where it looked (<span id="saliency-kind">saliency</span>)</h3>
  <canvas id="saliency" width="168" height="168" role="img" aria-label="no saliency map yet">
   no saliency map yet</canvas></div>
 <div id="results" aria-live="polite"><h3>Top classes</h3>
  <p id="note"></p><p id="ood" class="muted"></p><ol id="top"></ol><p id="server" class="muted"></p></div>
</div>
<p class="muted">The model runs in this page with tfjs from the run's saved model.json and weights.bin.
A drawing is converted here by the same code as <code>fmnist predict</code> (data/fashion_image.ts); an upload is
converted on the server by <code>fmnist predict</code>'s own path (sharp), which also answers with its prediction,
so the two always see the same 28x28 picture.</p>`,
      )
    : section('try', 'Try it', empty("no finished run with a saved model yet: train one with 'fmnist train'"));
  return page('Try it', body, '/try', models.length ? '/assets/try.js' : undefined);
}

export interface DataPageOptions {
  split: string;
  cls: number | null;
  page: number;
  pages: number;
  tiles: { index: number; label: number }[];
  counts: Record<string, number[]>;
  means: Record<string, number[]>;
}

export function dataPage(o: DataPageOptions): string {
  const link = (p: Record<string, string | number | null>) =>
    '/data?' +
    new URLSearchParams(
      Object.entries({ split: o.split, class: o.cls, page: o.page, ...p })
        .filter(([, v]) => v !== null && v !== '')
        .map(([k, v]) => [k, String(v)]),
    ).toString();
  const classes = ['all', ...CLASS_NAMES]
    .map((c, i) => {
      const v = i === 0 ? null : i - 1;
      return v === o.cls
        ? `<b>${esc(c)}</b>`
        : `<a href="${esc(link({ class: v === null ? '' : v, page: 0 }))}">${esc(c)}</a>`;
    })
    .join(' · ');
  const splits = ['train', 'test']
    .map((s) => (s === o.split ? `<b>${s}</b>` : `<a href="${esc(link({ split: s, page: 0 }))}">${s}</a>`))
    .join(' · ');
  // Every tile says its class to a screen reader; the "all" view shows it under the tile too.
  const tile = ({ index, label }: { index: number; label: number }) => {
    const name = esc(CLASS_NAMES[label]);
    const said = `${o.split} #${index}: ${name}`;
    const img = `<img alt="${said}" title="${said}" src="/data/image.png?split=${o.split}&amp;index=${index}">`;
    return o.cls === null ? `<figure>${img}<figcaption>${name}</figcaption></figure>` : img;
  };
  const tiles = `<div class="tiles" id="tiles">${o.tiles.map(tile).join('')}</div>`;
  const pager = `<p>page ${o.page + 1} of ${o.pages} ${o.page > 0 ? `<a href="${esc(link({ page: o.page - 1 }))}">previous</a>` : ''} ${o.page + 1 < o.pages ? `<a id="next" href="${esc(link({ page: o.page + 1 }))}">next</a>` : ''}</p>`;
  const stats = table(
    [
      'class',
      ...Object.keys(o.counts).map((s) => `${s} images`),
      ...Object.keys(o.means).map((s) => `${s} mean pixel`),
    ],
    CLASS_NAMES.map((c, k) => [
      esc(c),
      ...Object.values(o.counts).map((n) => n[k].toLocaleString('en')),
      ...Object.values(o.means).map((m) => m[k].toFixed(4)),
    ]),
    'num',
  );
  return page(
    'Data',
    section('browse', 'Browse the dataset', `<p>split: ${splits}</p><p>class: ${classes}</p>${pager}${tiles}`) +
      section('stats', 'Per-class statistics', stats),
    '/data',
  );
}
