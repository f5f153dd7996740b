/** Vega-Lite specs of the report and the app that no command writes as a file (draw/charts.ts renders them). */
import type { ChartSpec } from '../../draw/charts.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

const NAMES_AXIS = { labelAngle: 0, labelAlign: 'center', labelPadding: 6, domain: false, ticks: false };

export type ParallelTrial = { name: string; accuracy: number; params: Record<string, number | string | boolean> };
/** A searched setting, and whether it was searched on a log scale. */
export type ParallelKey = { key: string; log: boolean };
/** One trial's value on one axis: `num` its place on the axis, 0 (bottom) to 1 (top). */
export type ParallelRow = { trial: string; accuracy: number; key: string; value: string; num: number };

/**
 * The rows of a parallel-coordinates plot (the report's chart below, and the app's brushable one):
 * each trial's value on each searched setting and on its validation accuracy, each axis scaled
 * to its own range (log where the search was log).
 */
export function parallelRows(trials: ParallelTrial[], keys: ParallelKey[]): { axes: string[]; rows: ParallelRow[] } {
  const axes = [...keys.map((k) => k.key), 'accuracy'];
  const rows = trials.flatMap((t) => axes.map((key) => {
    const raw = key === 'accuracy' ? t.accuracy : t.params[key];
    const log = keys.find((k) => k.key === key)?.log ?? false;
    // Categories (optimizer names, booleans) are spread evenly by their sorted order below.
    const num = typeof raw === 'number' ? (log ? Math.log10(raw) : raw) : NaN;
    // Axis labels: 3 significant digits (a learning rate of 0.00034522… reads 0.000345).
    const value = typeof raw === 'number' && !Number.isInteger(raw) ? String(Number(raw.toPrecision(3))) : String(raw);
    return { trial: t.name, accuracy: t.accuracy, key, value, num };
  }));
  // Each axis 0–1: numbers by their min and max, categories by rank.
  for (const key of axes) {
    const mine = rows.filter((r) => r.key === key);
    if (mine.every((r) => Number.isFinite(r.num))) {
      const lo = Math.min(...mine.map((r) => r.num)), hi = Math.max(...mine.map((r) => r.num));
      mine.forEach((r) => { r.num = hi > lo ? (r.num - lo) / (hi - lo) : 0.5; });
    } else {
      const cats = [...new Set(mine.map((r) => r.value))].sort();
      mine.forEach((r) => { r.num = cats.length > 1 ? cats.indexOf(r.value) / (cats.length - 1) : 0.5; });
    }
  }
  return { axes, rows };
}

/**
 * Parallel coordinates of a tuning study: one line per trial across its searched hyperparameters
 * and its validation accuracy (parallelRows), coloured by accuracy. Vega-Lite's own recipe.
 */
export function parallelSpec(trials: ParallelTrial[], keys: ParallelKey[]): ChartSpec {
  const { axes, rows } = parallelRows(trials, keys);
  return {
    $schema: SCHEMA,
    title: { text: 'Tuning: parallel coordinates', subtitle: 'one line per finished trial; each axis from its lowest (bottom) to highest value (log axes: log scale)' },
    data: { values: rows },
    width: Math.max(420, axes.length * 110),
    height: 300,
    layer: [
      // The axis names centred under their axes (vega-lite's default for this layer, -90°, right-aligned them).
      {
        mark: { type: 'rule', color: '#bbb' },
        encoding: { x: { field: 'key', type: 'nominal', sort: axes, title: null, axis: NAMES_AXIS } },
      },
      {
        mark: { type: 'line', opacity: 0.75, strokeWidth: 2 },
        encoding: {
          x: { field: 'key', type: 'nominal', sort: axes, title: null, axis: NAMES_AXIS },
          y: { field: 'num', type: 'quantitative', axis: null, scale: { domain: [0, 1] } },
          detail: { field: 'trial', type: 'nominal' },
          color: { field: 'accuracy', type: 'quantitative', scale: { scheme: 'viridis' }, title: 'val acc' },
          tooltip: [{ field: 'trial' }, { field: 'key' }, { field: 'value' }],
        },
      },
      // Each axis' lowest and highest values, set inside the plot (above the bottom edge, below the
      // top one): on the edges they ran into the axis names below and the subtitle above.
      ...([[0, 'bottom', -3], [1, 'top', 3]] as const).map(([num, baseline, dy]) => ({
        mark: { type: 'text', align: 'left', baseline, dx: 4, dy, fontSize: 10, color: '#333' },
        // Once per axis end, not once per trial at that value (identical texts stacked on each other).
        transform: [
          { filter: `datum.num === ${num}` },
          { aggregate: [{ op: 'count', as: 'trials' }], groupby: ['key', 'num', 'value'] },
        ],
        encoding: { x: { field: 'key', type: 'nominal', sort: axes }, y: { field: 'num', type: 'quantitative' }, text: { field: 'value' } },
      })),
    ],
  } as ChartSpec;
}
