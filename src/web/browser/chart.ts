/// <reference lib="dom" />
/**
 * The app's interactive learning curves (what TensorBoard users look for): a metric menu, hover
 * values at the nearest epoch, drag to zoom into epochs (double-click: all of them), smoothing,
 * a log scale, and a legend that hides a line when clicked. Drawn as SVG by hand, no library: the
 * page's static chart (server-rendered, the report's) stays for a page whose script is blocked.
 */
import {
  METRICS,
  fmt,
  linearTicks,
  logNice,
  logTicks,
  scale,
  seriesOf,
  smooth,
  type ChartRun,
  type MetricName,
  type Series,
} from './chart_math.ts';

const W = 760;
const H = 320;
const M = { left: 64, right: 16, top: 12, bottom: 40 };
export const SVG = 'http://www.w3.org/2000/svg';

interface State {
  metric: MetricName;
  smoothing: number;
  log: boolean;
  zoom: [number, number] | null;
  hidden: Set<string>;
}

/** An SVG element with attributes (and text). */
export function el<K extends keyof SVGElementTagNameMap>(
  name: K,
  attrs: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** The lines on show: the metric's, smoothed, inside the zoomed epochs. */
function visible(runs: ChartRun[], s: State): Series[] {
  return seriesOf(runs, s.metric)
    .map((l) => ({
      ...l,
      points: smooth(l.points, s.smoothing).filter(([x]) => !s.zoom || (x >= s.zoom[0] && x <= s.zoom[1])),
    }))
    .filter((l) => l.points.length && !s.hidden.has(l.run));
}

/** The axes' domains and mappings for these lines. */
function frame(lines: Series[], s: State) {
  const xs = lines.flatMap((l) => l.points.map((p) => p[0]));
  const ys = lines.flatMap((l) => l.points.map((p) => p[1])).filter((y) => !s.log || y > 0);
  const [x0, x1] = s.zoom ?? [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const pad = (y1 - y0) * 0.05 || Math.abs(y0) * 0.05 || 1;
  [y0, y1] = s.log ? logNice(y0, y1) : [y0 - pad, y1 + pad];
  return { x0, x1, y0, y1, x: scale(x0, x1, M.left, W - M.right), y: scale(y0, y1, H - M.bottom, M.top, s.log) };
}

function axes(svg: SVGSVGElement, f: ReturnType<typeof frame>, s: State): void {
  const xt = linearTicks(f.x0, f.x1, 8).filter((t) => Number.isInteger(t));
  for (const t of xt) {
    svg.append(el('line', { x1: f.x(t), x2: f.x(t), y1: M.top, y2: H - M.bottom, class: 'grid' }));
    svg.append(el('text', { x: f.x(t), y: H - M.bottom + 16, 'text-anchor': 'middle', class: 'tick x' }, String(t)));
  }
  for (const t of s.log ? logTicks(f.y0, f.y1) : linearTicks(f.y0, f.y1)) {
    svg.append(el('line', { x1: M.left, x2: W - M.right, y1: f.y(t), y2: f.y(t), class: 'grid' }));
    svg.append(el('text', { x: M.left - 6, y: f.y(t) + 4, 'text-anchor': 'end', class: 'tick y' }, fmt(t)));
  }
  svg.append(
    el('text', { x: (M.left + W - M.right) / 2, y: H - 6, 'text-anchor': 'middle', class: 'axis-title' }, 'epoch'),
  );
  svg.append(
    el(
      'text',
      {
        x: 14,
        y: (M.top + H - M.bottom) / 2,
        transform: `rotate(-90 14 ${(M.top + H - M.bottom) / 2})`,
        'text-anchor': 'middle',
        class: 'axis-title',
      },
      METRICS[s.metric].label + (s.log ? ' (log)' : ''),
    ),
  );
}

function draw(svg: SVGSVGElement, lines: Series[], s: State): ReturnType<typeof frame> | undefined {
  svg.replaceChildren();
  if (!lines.length) {
    svg.append(el('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'no values to show'));
    return undefined;
  }
  const f = frame(lines, s);
  axes(svg, f, s);
  for (const l of lines) {
    const d = l.points
      .filter(([, y]) => !s.log || y > 0)
      .map(([x, y], i) => `${i ? 'L' : 'M'}${f.x(x).toFixed(1)},${f.y(y).toFixed(1)}`)
      .join('');
    svg.append(
      el('path', {
        d,
        stroke: l.colour,
        fill: 'none',
        'stroke-width': 2,
        'stroke-dasharray': l.dashed ? '5,4' : 'none',
        'data-key': l.key,
        'data-label': l.label,
      }),
    );
  }
  return f;
}

/** The tooltip: every line's value at the epoch nearest the pointer. */
function hover(
  tip: HTMLElement,
  svg: SVGSVGElement,
  lines: Series[],
  f: ReturnType<typeof frame>,
  clientX: number,
): void {
  const r = svg.getBoundingClientRect();
  const px = ((clientX - r.left) / r.width) * W;
  const xs = [...new Set(lines.flatMap((l) => l.points.map((p) => p[0])))];
  const x = xs.reduce((a, b) => (Math.abs(f.x(b) - px) < Math.abs(f.x(a) - px) ? b : a));
  const rows = lines.map((l) => [l, l.points.find((p) => p[0] === x)] as const).filter(([, p]) => p);
  tip.innerHTML =
    `<b>epoch ${x}</b>` +
    rows
      .map(
        ([l, p]) =>
          `<div><span class="swatch" style="background:${l.colour}"></span>` +
          `${escapeText(l.label)}: <b>${fmt(p![1])}</b></div>`,
      )
      .join('');
  tip.dataset.epoch = String(x);
  tip.hidden = false;
  tip.style.left = `${Math.min(r.width - 200, Math.max(0, (f.x(x) / W) * r.width + 12))}px`;
  svg.querySelector('.cursor')?.remove();
  svg.append(el('line', { x1: f.x(x), x2: f.x(x), y1: M.top, y2: H - M.bottom, class: 'cursor' }));
}

const escapeText = (t: string) => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The controls above the chart. */
function controls(s: State, redraw: () => void): HTMLElement {
  const bar = document.createElement('div');
  bar.className = 'chart-controls';
  const options = Object.entries(METRICS)
    .map(([k, m]) => `<option value="${k}"${k === s.metric ? ' selected' : ''}>${m.label}</option>`)
    .join('');
  bar.innerHTML = `<label>metric <select data-control="metric">${options}</select></label>
<label>smoothing <input data-control="smoothing" type="range" min="0" max="0.95" step="0.05" value="${s.smoothing}">
<output>${s.smoothing}</output></label>
<label><input data-control="log" type="checkbox"${s.log ? ' checked' : ''}> log scale</label>
<button type="button" data-control="reset">all epochs</button>
<span class="muted">drag across the chart to zoom into epochs</span>`;
  const get = <T extends HTMLElement>(name: string) => bar.querySelector(`[data-control="${name}"]`) as T;
  get<HTMLSelectElement>('metric').addEventListener('change', (e) => {
    s.metric = (e.target as HTMLSelectElement).value as MetricName;
    redraw();
  });
  get<HTMLInputElement>('smoothing').addEventListener('input', (e) => {
    s.smoothing = Number((e.target as HTMLInputElement).value);
    bar.querySelector('output')!.textContent = String(s.smoothing);
    redraw();
  });
  get<HTMLInputElement>('log').addEventListener('change', (e) => {
    s.log = (e.target as HTMLInputElement).checked;
    redraw();
  });
  get<HTMLButtonElement>('reset').addEventListener('click', () => {
    s.zoom = null;
    redraw();
  });
  return bar;
}

/** A legend entry per run, in the runs' order; clicking one hides or shows its lines. */
function legend(box: HTMLElement, runs: ChartRun[], s: State, redraw: () => void): void {
  const split = 'validation' in METRICS[s.metric];
  const items = runs.map((r) => {
    const key = String(r.id);
    const b = document.createElement('button');
    b.type = 'button';
    b.className = `legend-item${s.hidden.has(key) ? ' off' : ''}`;
    b.dataset.run = key;
    b.setAttribute('aria-pressed', String(!s.hidden.has(key)));
    b.innerHTML = `<span class="swatch" style="border-color:${r.colour}"></span>${escapeText(r.label)}`;
    b.addEventListener('click', () => {
      if (!s.hidden.delete(key)) s.hidden.add(key);
      redraw();
    });
    return b;
  });
  const note = document.createElement('span');
  note.className = 'muted';
  note.textContent = split ? 'solid: validation, dashed: training · click a run to hide it' : 'click a run to hide it';
  box.replaceChildren(...items, note);
}

/** Drag across the plot to zoom into those epochs; a double-click shows them all again. */
function zooming(
  svg: SVGSVGElement,
  s: State,
  current: () => ReturnType<typeof frame> | undefined,
  redraw: () => void,
): void {
  let from: number | undefined;
  const epochAt = (clientX: number) => {
    const f = current()!;
    const r = svg.getBoundingClientRect();
    return scale(M.left, W - M.right, f.x0, f.x1)(((clientX - r.left) / r.width) * W);
  };
  svg.addEventListener('pointerdown', (e) => {
    if (current()) from = epochAt(e.clientX);
  });
  svg.addEventListener('pointerup', (e) => {
    if (from === undefined) return;
    const to = epochAt(e.clientX);
    // To the nearest epochs at both ends.
    const [a, b] = [Math.round(Math.min(from, to)), Math.round(Math.max(from, to))];
    from = undefined;
    if (b > a) {
      s.zoom = [a, b];
      redraw();
    }
  });
  svg.addEventListener('dblclick', () => {
    s.zoom = null;
    redraw();
  });
}

/** Replace the container's content (a static chart) with the interactive one over `runs`. */
export function mountChart(container: HTMLElement, runs: ChartRun[]): { update(runs: ChartRun[]): void } {
  const s: State = { metric: 'loss', smoothing: 0, log: false, zoom: null, hidden: new Set() };
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'ichart', role: 'img' });
  const tip = document.createElement('div');
  tip.className = 'chart-tip';
  tip.hidden = true;
  const keys = document.createElement('div');
  keys.className = 'chart-legend';
  let f: ReturnType<typeof frame> | undefined;
  let lines: Series[] = [];
  const redraw = () => {
    lines = visible(runs, s);
    f = draw(svg, lines, s);
    legend(keys, runs, s, redraw);
    svg.setAttribute('aria-label', `${METRICS[s.metric].label} per epoch: ${lines.map((l) => l.label).join(', ')}`);
    tip.hidden = true;
  };
  const plot = document.createElement('div');
  plot.className = 'chart-plot';
  plot.append(svg, tip);
  container.replaceChildren(controls(s, redraw), plot, keys);
  svg.addEventListener('pointermove', (e) => {
    if (f && lines.length) hover(tip, svg, lines, f, e.clientX);
  });
  svg.addEventListener('pointerleave', () => {
    tip.hidden = true;
    svg.querySelector('.cursor')?.remove();
  });
  zooming(svg, s, () => f, redraw);
  redraw();
  return {
    update(next) {
      runs = next;
      redraw();
    },
  };
}
