/**
 * The app's pages, rendered on the server with the report's own sections (report/html/), so a run
 * looks the same in the report file and in the app. Only "Try it" and "Live" carry a script.
 */
import { CLASS_NAMES } from '../data/classes.ts';
import { chartToSvg } from '../draw/charts.ts';
import { overlaySpec } from '../draw/learning_curves.ts';
import { evaluationsOf, type RunView } from '../report/html/collect.ts';
import { empty, esc, htmlPage, section, svgImage, table } from '../report/html/page.ts';
import { evaluationBlock, runBlock } from '../report/html/sections.ts';
import type { RunRow } from '../store/run_store.ts';
import { pct } from '../util/format.ts';

const NAV: [string, string][] = [['/', 'Runs'], ['/studies', 'Studies'], ['/data', 'Data'], ['/try', 'Try it'], ['/report', 'Report'], ['/api/export/metrics.csv', 'Export CSV'], ['/api/export/metrics.json', 'Export JSON']];

export function page(title: string, body: string, here: string, script?: string): string {
  const nav = NAV.map(([href, text]) => `<a href="${href}"${href === here ? ' class="here"' : ''}>${text}</a>`).join('');
  return htmlPage({ title, body, nav, head: script ? `<script type="module" src="${script}"></script>` : '' });
}

export const runHref = (r: RunView) => (r.id === null ? '#' : `/runs/${r.id}`);

export interface RunFilters { kind: string; status: string; q: string; group: string }

export function runsPage(rows: RunRow[], f: RunFilters, note = ''): string {
  const kinds = [...new Set(rows.map((r) => r.kind))].sort();
  const statuses = ['running', 'done', 'failed', 'interrupted', 'pruned'];
  const shown = rows.filter((r) => (!f.kind || r.kind === f.kind) && (!f.status || r.status === f.status) && (!f.group || r.group === f.group)
    && (!f.q || `${r.name ?? ''} ${r.outDir ?? ''} ${r.config.model ?? ''}`.toLowerCase().includes(f.q.toLowerCase())));
  const opt = (v: string, cur: string) => `<option${v === cur ? ' selected' : ''} value="${esc(v)}">${esc(v || 'any')}</option>`;
  const filters = `<form class="filters" method="get" action="/">
<label>kind<select name="kind">${['', ...kinds].map((k) => opt(k, f.kind)).join('')}</select></label>
<label>status<select name="status">${['', ...statuses].map((s) => opt(s, f.status)).join('')}</select></label>
<label>name contains<input name="q" value="${esc(f.q)}"></label>
${f.group ? `<input type="hidden" name="group" value="${esc(f.group)}">` : ''}<button type="submit">Filter</button></form>`;
  const body = shown.map((r) => [
    `<input type="checkbox" name="ids" value="${r.id}" aria-label="compare run ${r.id}">`,
    `<a href="/runs/${r.id}">#${r.id}</a>`, `<a href="/runs/${r.id}">${esc(r.name ?? r.outDir?.split('/').pop() ?? '')}</a>`, esc(r.kind),
    r.group ? `<a href="/?group=${encodeURIComponent(r.group)}">${esc(r.group)}</a>` : '', `<span class="${r.status === 'failed' ? 'bad' : r.status === 'running' ? 'good' : ''}">${esc(r.status)}</span>${r.status === 'running' ? ` <a href="/live/${r.id}">live</a>` : ''}`,
    esc(r.config.model ?? ''), pct(r.finalMetrics?.valAcc), r.seconds ? `${Math.round(r.seconds)} s` : '', esc(r.startedAt.slice(0, 16).replace('T', ' ')),
  ]);
  const list = shown.length
    ? `<form method="get" action="/compare">${table(['', 'id', 'name', 'kind', 'group', 'status', 'model', 'val acc', 'time', 'started'], body)}<button type="submit">Compare selected</button></form>`
    : empty(rows.length ? 'no run matches these filters' : "no runs yet: train one with 'fmnist train' or 'npm start'");
  return page('Runs', `${note}${section('runs', `Runs (${shown.length} of ${rows.length})`, filters + list)}`, '/');
}

export async function runPage(r: RunView): Promise<string> {
  const evals = evaluationsOf(r);
  const links = r.id === null ? '' : `<p><a href="/try?run=${r.id}">Try this model</a> · <a href="/live/${r.id}">Live progress</a> · export <a href="/api/runs/${r.id}/metrics.csv">CSV</a> <a href="/api/runs/${r.id}/metrics.json">JSON</a></p>`;
  const config = table(['setting', 'value'], Object.entries(r.config).map(([k, v]) => [esc(k), `<code>${esc(JSON.stringify(v))}</code>`]));
  const evalHtml = evals.length ? (await Promise.all(evals.map((e) => evaluationBlock(e, runHref)))).join('') : empty(`no evaluation yet: run 'fmnist evaluate ${r.outDir ?? '<run folder>'}'`);
  return page(`Run ${r.id ?? ''} ${r.name}`, section('run', 'Training', links + (await runBlock(r, runHref, 'curves'))) + section('evaluation', 'Evaluation', evalHtml) + section('config', 'Configuration', config), '');
}

export async function comparePage(runs: RunView[], differing: Record<string, unknown[]>): Promise<string> {
  const chart = svgImage(await chartToSvg(overlaySpec(runs.map((r) => ({ label: `#${r.id} ${r.name}`, epochs: r.epochs })))), 'overlaid learning curves');
  const keys = Object.keys(differing);
  const settings = keys.length
    ? table(['setting', ...runs.map((r) => `#${r.id}`)], keys.map((k) => [esc(k), ...differing[k].map((v) => `<code>${esc(JSON.stringify(v))}</code>`)]))
    : empty('every setting is the same in these runs');
  const outcome = table(['run', 'status', 'epochs', 'val acc', 'val loss', 'time'], runs.map((r) => [`<a href="${runHref(r)}">#${r.id} ${esc(r.name)}</a>`, esc(r.status), String(r.epochs.length), pct(r.final?.valAcc), r.final?.valLoss?.toFixed(4) ?? '—', r.seconds ? `${Math.round(r.seconds)} s` : '']));
  return page('Compare runs', section('compare', `Compare ${runs.length} runs`, chart + outcome + '<h3>Settings that differ</h3>' + settings), '/');
}

export function livePage(r: RunView): string {
  const body = section('progress', `Live: ${r.name}`, `<p id="live" data-run="${r.id}">status <b id="status">${esc(r.status)}</b> · epoch <b id="epoch">${r.epochs.length}</b> of <b id="epochs">${esc(r.config.epochs ?? '?')}</b> · ETA <b id="eta">—</b></p>
<img id="curves" class="chart" alt="learning curves" src="/runs/${r.id}/curves.svg"><p class="muted">Updated as the training process writes its run folder (server-sent events).</p>`);
  return page(`Live: run ${r.id}`, body, '', '/assets/live.js');
}

export function tryPage(models: RunRow[], selected: number | undefined): string {
  const options = models.map((r) => `<option value="${r.id}"${r.id === selected ? ' selected' : ''}>#${r.id} ${esc(r.name ?? r.outDir?.split('/').pop() ?? '')} (${pct(r.finalMetrics?.valAcc)})</option>`).join('');
  const body = models.length ? section('try', 'Try a model on your own picture', `
<p><label>model <select id="run">${options}</select></label> <span id="model-status" class="muted">loading…</span></p>
<div class="row">
 <div><p class="muted">Draw a garment (dark on white) or upload a photo.</p><canvas id="pad" width="280" height="280"></canvas><br>
  <button id="clear" type="button">Clear</button> <button id="predict" type="button">Predict</button>
  <p><input id="upload" type="file" accept="image/png,image/jpeg,image/webp,image/gif"></p></div>
 <div><h3>What the model sees (28x28)</h3><canvas id="input28" width="168" height="168"></canvas>
  <h3>Where it looked (<span id="saliency-kind">saliency</span>)</h3><canvas id="saliency" width="168" height="168"></canvas></div>
 <div><h3>Top classes</h3><ol id="top"></ol><p id="server" class="muted"></p></div>
</div>
<p class="muted">The model runs in this page with tfjs from the run's saved model.json and weights.bin; the picture is converted by the same code as <code>fmnist predict</code> (data/fashion_image.ts). An upload is also sent to the server, which answers with <code>fmnist predict</code>'s own path.</p>`)
    : section('try', 'Try it', empty("no finished run with a saved model yet: train one with 'fmnist train'"));
  return page('Try it', body, '/try', models.length ? '/assets/try.js' : undefined);
}

export function dataPage(o: { split: string; cls: number | null; page: number; pages: number; indices: number[]; counts: Record<string, number[]>; means: Record<string, number[]> }): string {
  const link = (p: Record<string, string | number | null>) => '/data?' + new URLSearchParams(Object.entries({ split: o.split, class: o.cls, page: o.page, ...p }).filter(([, v]) => v !== null && v !== '').map(([k, v]) => [k, String(v)])).toString();
  const classes = ['all', ...CLASS_NAMES].map((c, i) => { const v = i === 0 ? null : i - 1; return v === o.cls ? `<b>${esc(c)}</b>` : `<a href="${esc(link({ class: v === null ? '' : v, page: 0 }))}">${esc(c)}</a>`; }).join(' · ');
  const splits = ['train', 'test'].map((s) => (s === o.split ? `<b>${s}</b>` : `<a href="${esc(link({ split: s, page: 0 }))}">${s}</a>`)).join(' · ');
  const tiles = `<div class="tiles" id="tiles">${o.indices.map((i) => `<img alt="${o.split} ${i}" title="${o.split} #${i}" src="/data/image.png?split=${o.split}&amp;index=${i}">`).join('')}</div>`;
  const pager = `<p>page ${o.page + 1} of ${o.pages} ${o.page > 0 ? `<a href="${esc(link({ page: o.page - 1 }))}">previous</a>` : ''} ${o.page + 1 < o.pages ? `<a id="next" href="${esc(link({ page: o.page + 1 }))}">next</a>` : ''}</p>`;
  const stats = table(['class', ...Object.keys(o.counts).map((s) => `${s} images`), ...Object.keys(o.means).map((s) => `${s} mean pixel`)],
    CLASS_NAMES.map((c, k) => [esc(c), ...Object.values(o.counts).map((n) => n[k].toLocaleString('en')), ...Object.values(o.means).map((m) => m[k].toFixed(4))]), 'num');
  return page('Data', section('browse', 'Browse the dataset', `<p>split: ${splits}</p><p>class: ${classes}</p>${pager}${tiles}`) + section('stats', 'Per-class statistics', stats), '/data');
}
