/** Vega-Lite specs of the report and the app that no command writes as a file (draw/charts.ts renders them). */
import type { ChartSpec } from '../../draw/charts.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/**
 * Parallel coordinates of a tuning study: one line per trial across its searched hyperparameters
 * and its validation accuracy, each axis scaled to its own range (log where the search was log),
 * coloured by accuracy. Vega-Lite's own recipe: fold the columns, normalise per column in a window.
 */
export function parallelSpec(trials: { name: string; accuracy: number; params: Record<string, number | string | boolean> }[], keys: { key: string; log: boolean }[]): ChartSpec {
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
  return {
    $schema: SCHEMA,
    title: { text: 'Tuning: parallel coordinates', subtitle: 'one line per finished trial; each axis from its lowest (bottom) to highest value (log axes: log scale)' },
    data: { values: rows },
    width: Math.max(420, axes.length * 110),
    height: 300,
    layer: [
      { mark: { type: 'rule', color: '#bbb' }, encoding: { x: { field: 'key', type: 'nominal', sort: axes } } },
      {
        mark: { type: 'line', opacity: 0.75, strokeWidth: 2 },
        encoding: {
          x: { field: 'key', type: 'nominal', sort: axes, title: null, axis: { labelAngle: 0, domain: false } },
          y: { field: 'num', type: 'quantitative', axis: null, scale: { domain: [0, 1] } },
          detail: { field: 'trial', type: 'nominal' },
          color: { field: 'accuracy', type: 'quantitative', scale: { scheme: 'viridis' }, title: 'val acc' },
          tooltip: [{ field: 'trial' }, { field: 'key' }, { field: 'value' }],
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#333' },
        transform: [{ filter: 'datum.num === 0 || datum.num === 1' }],
        encoding: { x: { field: 'key', type: 'nominal', sort: axes }, y: { field: 'num', type: 'quantitative' }, text: { field: 'value' } },
      },
    ],
  } as ChartSpec;
}
