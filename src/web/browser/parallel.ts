/// <reference lib="dom" />
/**
 * The studies page's brushable parallel coordinates: drag along an axis to keep the trials whose
 * value there is in the dragged range (several axes: all of them); the other lines fade and the
 * trials table beside the chart shows only the kept trials. Double-click an axis to release it.
 * Rows and axis scaling come from the server (report/html/charts.ts parallelRows), the same
 * numbers as the report's static chart.
 */
import type { ParallelRow } from '../../report/html/charts.ts';
import { SVG, el } from './chart.ts';

const H = 300;
const M = { left: 40, right: 60, top: 24, bottom: 34 };
const STEP = 110;
/** viridis at five stops, low accuracy dark (the report's colour scheme). */
const VIRIDIS = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

function viridis(t: number): string {
  const u = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(u));
  const c = VIRIDIS[i].map((v, k) => Math.round(v + (VIRIDIS[i + 1][k] - v) * (u - i)));
  return `rgb(${c.join(',')})`;
}

type Brushes = Map<string, [number, number]>;
const kept = (place: Record<string, number>, brushes: Brushes) =>
  [...brushes].every(([key, [lo, hi]]) => place[key] >= lo - 1e-9 && place[key] <= hi + 1e-9);

type Trial = { name: string; place: Record<string, number> };
/** Where things go: axis i at x(i), a value's place `num` (0–1) at y(num). */
interface Layout {
  axes: string[];
  W: number;
  x: (i: number) => number;
  y: (num: number) => number;
}

/** The axes, their names below and their lowest and highest values inside the plot. */
function drawAxes(svg: SVGSVGElement, rows: ParallelRow[], L: Layout): void {
  L.axes.forEach((key, i) => {
    svg.append(el('line', { x1: L.x(i), x2: L.x(i), y1: L.y(1), y2: L.y(0), stroke: '#bbb' }));
    svg.append(el('text', { x: L.x(i), y: H - 10, 'text-anchor': 'middle', class: 'axis-name' }, key));
    for (const num of [0, 1]) {
      const value = rows.find((r) => r.key === key && r.num === num)?.value;
      if (value !== undefined)
        svg.append(el('text', { x: L.x(i) + 4, y: L.y(num) + (num ? 11 : -4), class: 'end-value' }, value));
    }
  });
}

/** A line per trial (kept ones coloured by accuracy, the others faded grey), and the brushes. */
function drawTrials(svg: SVGSVGElement, trials: Trial[], brushes: Brushes, L: Layout): void {
  for (const t of trials) {
    const on = kept(t.place, brushes);
    const d = L.axes.map((key, i) => `${i ? 'L' : 'M'}${L.x(i)},${L.y(t.place[key]).toFixed(1)}`).join('');
    const stroke = on ? viridis(t.place.accuracy) : '#ccc';
    svg.append(
      el('path', {
        d,
        fill: 'none',
        stroke,
        'stroke-width': on ? 2 : 1,
        opacity: on ? 0.85 : 0.35,
        'data-trial': t.name,
      }),
    );
  }
  for (const [key, [lo, hi]] of brushes) {
    const x = L.x(L.axes.indexOf(key)) - 8;
    svg.append(
      el('rect', {
        x,
        width: 16,
        y: L.y(hi),
        height: Math.max(2, L.y(lo) - L.y(hi)),
        class: 'brush',
        'data-axis': key,
      }),
    );
  }
}

/** Make the parallel-coordinates box brushable; `rowsOf()` are its table rows, to show or hide. */
export function mountParallel(
  box: HTMLElement,
  data: { axes: string[]; rows: ParallelRow[] },
  rowsOf: () => HTMLElement[],
): void {
  const { axes } = data;
  const L: Layout = {
    axes,
    W: M.left + M.right + (axes.length - 1) * STEP,
    x: (i) => M.left + i * STEP,
    y: (num) => M.top + (1 - num) * (H - M.top - M.bottom),
  };
  const trials: Trial[] = [...new Set(data.rows.map((r) => r.trial))].map((name) => {
    const mine = data.rows.filter((r) => r.trial === name);
    return { name, place: Object.fromEntries(mine.map((r) => [r.key, r.num])) };
  });
  const brushes: Brushes = new Map();
  const svg = el('svg', {
    viewBox: `0 0 ${L.W} ${H}`,
    class: 'parallel',
    role: 'img',
    style: `max-width: ${Math.round(L.W * 1.25)}px`,
    'aria-label': `parallel coordinates of ${trials.length} trials; drag along an axis to filter them`,
  });
  const status = document.createElement('p');
  status.className = 'muted';
  status.dataset.parallelStatus = '';
  const draw = () => {
    svg.replaceChildren();
    drawAxes(svg, data.rows, L);
    drawTrials(svg, trials, brushes, L);
    const keep = new Set(trials.filter((t) => kept(t.place, brushes)).map((t) => t.name));
    for (const row of rowsOf()) row.hidden = brushes.size > 0 && !keep.has(row.dataset.trial ?? '');
    status.textContent = brushes.size
      ? `${keep.size} of ${trials.length} finished trials in the brushed ranges · double-click an axis to release it`
      : 'drag along an axis to keep only the trials in that range · ' +
        'colour: validation accuracy, dark (low) to yellow (high)';
  };
  brushing(svg, axes, L.x, L.W, (key, range) => {
    if (range) brushes.set(key, range);
    else brushes.delete(key);
    draw();
  });
  box.replaceChildren(svg, status);
  draw();
}

/** Pointer handling: drag along an axis (within 20 px of it) to set its range; double-click to clear it. */
function brushing(
  svg: SVGSVGElement,
  axes: string[],
  axisX: (i: number) => number,
  W: number,
  set: (key: string, range?: [number, number]) => void,
): void {
  const at = (e: MouseEvent) => {
    const r = svg.getBoundingClientRect();
    const px = ((e.clientX - r.left) / r.width) * W;
    const py = ((e.clientY - r.top) / r.height) * H;
    const i = axes.findIndex((_, k) => Math.abs(axisX(k) - px) < 20);
    return {
      key: i < 0 ? undefined : axes[i],
      num: Math.min(1, Math.max(0, 1 - (py - M.top) / (H - M.top - M.bottom))),
    };
  };
  let start: { key: string; num: number } | undefined;
  svg.addEventListener('pointerdown', (e) => {
    const p = at(e);
    if (p.key) {
      start = { key: p.key, num: p.num };
      svg.setPointerCapture(e.pointerId);
    }
  });
  svg.addEventListener('pointermove', (e) => {
    if (!start) return;
    const { num } = at(e);
    if (Math.abs(num - start.num) > 0.01) set(start.key, [Math.min(start.num, num), Math.max(start.num, num)]);
  });
  svg.addEventListener('pointerup', () => {
    start = undefined;
  });
  svg.addEventListener('dblclick', (e) => {
    const p = at(e);
    if (p.key) set(p.key);
  });
}
