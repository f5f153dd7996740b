/**
 * The HTML both the report file and `fmnist serve` are made of: one stylesheet, escaping, tables,
 * and images inlined as data: URIs. A chart is an <img> of its SVG rather than inline <svg>, because
 * vega names its clip paths clip1, clip2, … in every SVG, and two inline charts on one page would
 * then share (and cut) each other's clip paths.
 */

/** Text → HTML (attributes too). */
export const esc = (v: unknown): string => String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** An SVG document as an <img>. */
export const svgImage = (svg: string, alt: string): string =>
  `<img class="chart" alt="${esc(alt)}" src="data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}">`;

/** PNG bytes as an <img>. */
export const pngImage = (png: Uint8Array, alt: string): string =>
  `<img class="figure" alt="${esc(alt)}" src="data:image/png;base64,${Buffer.from(png).toString('base64')}">`;

/**
 * A table: header cells as text (or prerendered HTML), body cells as HTML (escape what needs it). Wrapped in its own
 * scroller, so a table wider than the page scrolls by itself, its scrollbar right under it.
 */
export function table(head: (string | { html: string })[], rows: string[][], cls = ''): string {
  const th = (h: string | { html: string }) => `<th>${typeof h === 'string' ? esc(h) : h.html}</th>`;
  return `<div class="table-wrap"><table${cls ? ` class="${cls}"` : ''}>`
    + `<thead><tr>${head.map(th).join('')}</tr></thead>`
    + `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table></div>`;
}

/** A section with an anchor, or its "nothing yet" line. */
export const section = (id: string, title: string, body: string): string => `<section id="${esc(id)}"><h2>${esc(title)}</h2>${body}</section>`;
export const empty = (what: string): string => `<p class="empty">${esc(what)}</p>`;
/** The same inside a table cell. */
export const emptyCell = (what: string): string => `<span class="empty">${esc(what)}</span>`;

export const STYLE = `
:root { --fg: #1d2430; --muted: #5b6473; --line: #dde2ea; --accent: #2a6fdb; --bg: #f6f8fb; --good: #1f8a4c; --bad: #c0392b; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
header { background: #16202e; color: #fff; padding: 14px 28px; display: flex; align-items: baseline; gap: 24px; flex-wrap: wrap; }
header h1 { font-size: 20px; margin: 0; }
header nav a { color: #c9d6ea; margin-right: 16px; text-decoration: none; }
header nav a:hover, header nav a.here { color: #fff; text-decoration: underline; }
main { max-width: 1400px; margin: 0 auto; padding: 20px 20px 60px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px 18px 18px; margin: 18px 0;
  min-width: 0; }
.table-wrap { max-width: 100%; overflow-x: auto; }
h2 { font-size: 19px; border-bottom: 1px solid var(--line); padding-bottom: 6px; }
h3 { font-size: 16px; margin: 18px 0 6px; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 14px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #eef2f8; font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:hover { background: #f3f7ff; }
a { color: var(--accent); }
.empty { color: var(--muted); font-style: italic; }
.muted { color: var(--muted); font-size: 13px; }
.chart, .figure { max-width: 100%; height: auto; display: block; margin: 8px 0; }
.figure { image-rendering: pixelated; }
.row { display: flex; gap: 24px; flex-wrap: wrap; align-items: flex-start; }
.nowrap { white-space: nowrap; }
.warning { background: #fff6dd; border-left: 4px solid #e0a800; padding: 8px 12px; }
.good { color: var(--good); font-weight: 600; } .bad { color: var(--bad); font-weight: 600; }
code { background: #eef2f8; padding: 1px 4px; border-radius: 3px; }
td code { overflow-wrap: break-word; }
form.filters { display: flex; gap: 12px; flex-wrap: wrap; align-items: end; margin: 8px 0; }
form.filters label { display: flex; flex-direction: column; font-size: 13px; color: var(--muted); }
input, select, button { font: inherit; padding: 4px 8px; }
button { background: var(--accent); color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
.tiles img { image-rendering: pixelated; width: 56px; height: 56px; margin: 2px; border: 1px solid var(--line); }
.tiles figure { display: inline-block; width: 64px; margin: 0 2px 4px; text-align: center; font-size: 11px;
  line-height: 1.2; vertical-align: top; }
canvas { border: 1px solid var(--line); background: #fff; touch-action: none; }
.bar { background: var(--accent); height: 14px; border-radius: 2px; }
`;

/** A whole page: the report file and every page of the app. `nav` is prerendered HTML. */
export function htmlPage(o: { title: string; body: string; nav?: string; head?: string }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(o.title)}</title><style>${STYLE}</style>${o.head ?? ''}</head>
<body><header><h1>${esc(o.title)}</h1>${o.nav ? `<nav>${o.nav}</nav>` : ''}</header><main>${o.body}</main></body></html>
`;
}
