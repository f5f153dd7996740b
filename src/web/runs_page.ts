/**
 * The runs list: filters, a table sortable by any column (a header is a link: works without
 * script), and columns of your choice — any final metric the runs recorded, any setting. All in
 * the query string (`sort`, `order`, `cols`), so a view can be bookmarked.
 */
import { modelOf, settingApplies, testAccuracy, viewOfRow } from '../report/html/collect.ts';
import { empty, esc, section, table } from '../report/html/page.ts';
import type { RunRow } from '../store/run_store.ts';
import { pct } from '../util/format.ts';
import { HttpError } from './http.ts';

export interface RunFilters {
  kind: string;
  status: string;
  q: string;
  group: string;
}
export interface RunsView extends RunFilters {
  sort: string;
  order: 'asc' | 'desc';
  cols: string[];
}

interface Column {
  key: string;
  head: string;
  cell: (r: RunRow) => string;
  value: (r: RunRow) => number | string | null;
}

const statusCell = (r: RunRow) =>
  `<span class="${r.status === 'failed' ? 'bad' : r.status === 'running' ? 'good' : ''}">${esc(r.status)}</span>` +
  (r.status === 'running' ? ` <a href="/live/${r.id}">live</a>` : '');
const nameOf = (r: RunRow) => r.name ?? r.outDir?.split('/').pop() ?? '';

/** The columns every list has, in order; `test` is a run's test accuracy (its evaluation file, read once per list). */
const baseColumns = (test: (r: RunRow) => number | undefined): Column[] => [
  { key: 'id', head: 'id', cell: (r) => `<a href="/runs/${r.id}">#${r.id}</a>`, value: (r) => r.id },
  {
    key: 'name',
    head: 'name',
    cell: (r) => `<a class="nowrap" href="/runs/${r.id}">${esc(nameOf(r))}</a>`,
    value: nameOf,
  },
  { key: 'kind', head: 'kind', cell: (r) => esc(r.kind), value: (r) => r.kind },
  {
    key: 'group',
    head: 'group',
    cell: (r) => (r.group ? `<a href="/?group=${encodeURIComponent(r.group)}">${esc(r.group)}</a>` : ''),
    value: (r) => r.group,
  },
  { key: 'status', head: 'status', cell: statusCell, value: (r) => r.status },
  { key: 'model', head: 'model', cell: (r) => esc(modelOf(r)), value: modelOf },
  {
    key: 'valAcc',
    head: 'val acc',
    cell: (r) => pct(r.finalMetrics?.valAcc),
    value: (r) => r.finalMetrics?.valAcc ?? null,
  },
  { key: 'testAcc', head: 'test acc', cell: (r) => pct(test(r)), value: (r) => test(r) ?? null },
  {
    key: 'time',
    head: 'time',
    cell: (r) => (r.seconds ? `<span class="nowrap">${Math.round(r.seconds)} s</span>` : ''),
    value: (r) => r.seconds,
  },
  {
    key: 'started',
    head: 'started',
    cell: (r) => `<span class="nowrap">${esc(r.startedAt.slice(0, 16).replace('T', ' '))}</span>`,
    value: (r) => r.startedAt,
  },
];

const BASE_KEYS = baseColumns(() => undefined).map((c) => c.key);

const metricColumn = (name: string): Column => ({
  key: `metric:${name}`,
  head: name,
  cell: (r) => {
    const v = r.finalMetrics?.[name];
    return v === undefined ? '' : /acc/i.test(name) ? pct(v) : String(Number(v.toPrecision(4)));
  },
  value: (r) => r.finalMetrics?.[name] ?? null,
});

const settingColumn = (key: string): Column => {
  const raw = (r: RunRow) =>
    settingApplies(r.config, key) ? (r.config as unknown as Record<string, unknown>)[key] : undefined;
  return {
    key: `setting:${key}`,
    head: key,
    cell: (r) => {
      const v = raw(r);
      return v === undefined
        ? '<span class="muted">—</span>'
        : esc(typeof v === 'number' ? Number(v.toPrecision(4)) : JSON.stringify(v).replace(/^"|"$/g, ''));
    },
    value: (r) => {
      const v = raw(r);
      return typeof v === 'number' || typeof v === 'string'
        ? v
        : v === undefined || v === null
          ? null
          : JSON.stringify(v);
    },
  };
};

/** The extra columns these runs offer: every final metric any of them recorded, every setting. */
function choices(rows: RunRow[]): { metrics: string[]; settings: string[] } {
  const metrics = [...new Set(rows.flatMap((r) => Object.keys(r.finalMetrics ?? {})))]
    .filter((m) => m !== 'valAcc')
    .sort();
  const settings = [...new Set(rows.flatMap((r) => Object.keys(r.config)))].sort();
  return { metrics, settings };
}

/** The view asked for in the query, checked against what these runs offer (400 naming anything unknown). */
export function runsView(q: URLSearchParams, rows: RunRow[]): RunsView {
  const { metrics, settings } = choices(rows);
  const known = new Set([...BASE_KEYS, ...metrics.map((m) => `metric:${m}`), ...settings.map((s) => `setting:${s}`)]);
  const cols = q
    .getAll('cols')
    .flatMap((v) => v.split(','))
    .filter(Boolean);
  const bad = cols.find((c) => !known.has(c) || BASE_KEYS.includes(c));
  if (bad)
    throw new HttpError(
      400,
      `cols: no column '${bad.slice(0, 60)}' for these runs: ` +
        "metric:NAME or setting:KEY, as the runs page's Columns menu offers",
    );
  const sort = q.get('sort') || 'id';
  if (!known.has(sort))
    throw new HttpError(
      400,
      `sort: no column '${sort.slice(0, 60)}' (a column of the list, e.g. id, valAcc, testAcc or setting:lr)`,
    );
  const order = q.get('order') || (sort === 'id' ? 'asc' : 'desc');
  if (order !== 'asc' && order !== 'desc')
    throw new HttpError(400, `order must be asc or desc, got '${order.slice(0, 20)}'`);
  const text = (k: string) => (q.get(k) ?? '').slice(0, 100);
  return {
    kind: text('kind'),
    status: text('status'),
    q: text('q'),
    group: text('group'),
    sort,
    order,
    cols: [...new Set(cols)],
  };
}

/** Sorted by `col`: numbers as numbers, text as text, runs without a value last either way. */
function sorted(rows: RunRow[], col: Column, order: 'asc' | 'desc'): RunRow[] {
  const sign = order === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const [x, y] = [col.value(a), col.value(b)];
    if (x === null || y === null) return x === y ? a.id - b.id : x === null ? 1 : -1;
    const d =
      typeof x === 'number' && typeof y === 'number'
        ? x - y
        : String(x).localeCompare(String(y), 'en', { numeric: true });
    return d * sign || a.id - b.id;
  });
}

const link = (v: RunsView, change: Partial<RunsView>) => {
  const w = { ...v, ...change };
  const q = new URLSearchParams(
    Object.entries({
      kind: w.kind,
      status: w.status,
      q: w.q,
      group: w.group,
      sort: w.sort,
      order: w.order,
      cols: w.cols.join(','),
    }).filter(([, x]) => x),
  );
  return `/?${q.toString()}`;
};

function header(c: Column, v: RunsView): { html: string } {
  const on = v.sort === c.key;
  const next = on && v.order === 'desc' ? 'asc' : on ? 'desc' : c.key === 'name' || c.key === 'id' ? 'asc' : 'desc';
  const arrow = on ? (v.order === 'asc' ? ' ▲' : ' ▼') : '';
  return {
    html:
      `<a class="sort" href="${esc(link(v, { sort: c.key, order: next }))}"` +
      `${on ? ` aria-sort="${v.order}ending"` : ''} data-col="${esc(c.key)}">${esc(c.head)}${arrow}</a>`,
  };
}

function filtersForm(rows: RunRow[], v: RunsView): string {
  const kinds = [...new Set(rows.map((r) => r.kind))].sort();
  const statuses = ['running', 'done', 'failed', 'interrupted', 'pruned'];
  const opt = (x: string, cur: string) =>
    `<option${x === cur ? ' selected' : ''} value="${esc(x)}">${esc(x || 'any')}</option>`;
  const hidden = Object.entries({ group: v.group, sort: v.sort, order: v.order, cols: v.cols.join(',') })
    .filter(([, x]) => x)
    .map(([k, x]) => `<input type="hidden" name="${k}" value="${esc(x)}">`)
    .join('');
  return `<form class="filters" method="get" action="/">
<label>kind<select name="kind">${['', ...kinds].map((k) => opt(k, v.kind)).join('')}</select></label>
<label>status<select name="status">${['', ...statuses].map((s) => opt(s, v.status)).join('')}</select></label>
<label>name contains<input name="q" value="${esc(v.q)}"></label>${hidden}<button type="submit">Filter</button></form>`;
}

/** A form of checkboxes, one per metric and setting, for the extra columns. */
function columnsForm(rows: RunRow[], v: RunsView): string {
  const { metrics, settings } = choices(rows);
  const box = (key: string, text: string) =>
    `<label class="col-choice"><input type="checkbox" name="cols" value="${esc(key)}"` +
    `${v.cols.includes(key) ? ' checked' : ''}> ${esc(text)}</label>`;
  const hidden = Object.entries({
    kind: v.kind,
    status: v.status,
    q: v.q,
    group: v.group,
    sort: v.sort,
    order: v.order,
  })
    .filter(([, x]) => x)
    .map(([k, x]) => `<input type="hidden" name="${k}" value="${esc(x)}">`)
    .join('');
  const metricBoxes =
    metrics.map((m) => box(`metric:${m}`, m)).join(' ') || '<span class="muted">none recorded yet</span>';
  return `<details class="columns"${v.cols.length ? ' open' : ''}><summary>Columns: metrics and settings</summary>
<form method="get" action="/">${hidden}<p><b>final metrics</b> ${metricBoxes}</p>
<p><b>settings</b> ${settings.map((s) => box(`setting:${s}`, s)).join(' ')}</p>
<button type="submit">Show these columns</button></form></details>`;
}

export function runsPage(rows: RunRow[], v: RunsView): string {
  const shown = rows.filter(
    (r) =>
      (!v.kind || r.kind === v.kind) &&
      (!v.status || r.status === v.status) &&
      (!v.group || r.group === v.group) &&
      (!v.q || `${nameOf(r)} ${r.outDir ?? ''} ${modelOf(r)}`.toLowerCase().includes(v.q.toLowerCase())),
  );
  const tests = new Map(shown.map((r) => [r.id, testAccuracy(viewOfRow(r, []))]));
  const columns = [
    ...baseColumns((r) => tests.get(r.id)),
    ...v.cols.map((c) => (c.startsWith('metric:') ? metricColumn(c.slice(7)) : settingColumn(c.slice(8)))),
  ];
  const body = sorted(
    shown,
    columns.find((c) => c.key === v.sort)!,
    v.order,
  ).map((r) => [
    `<input type="checkbox" name="ids" value="${r.id}" aria-label="compare run ${r.id}">`,
    ...columns.map((c) => c.cell(r)),
  ]);
  const list = shown.length
    ? `<form method="get" action="/compare">${table(['', ...columns.map((c) => header(c, v))], body)}` +
      '<button type="submit">Compare selected</button></form>'
    : empty(rows.length ? 'no run matches these filters' : "no runs yet: train one with 'fmnist train' or 'npm start'");
  return section(
    'runs',
    `Runs (${shown.length} of ${rows.length})`,
    filtersForm(rows, v) + columnsForm(rows, v) + list,
  );
}
