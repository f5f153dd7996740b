/** Figures of tuning and cross-validation (Vega-Lite → SVG + PNG via draw/charts.ts). */
import { writeChart, type ChartSpec } from '../draw/charts.ts';
import type { Distribution, SearchSpace } from '../search/space.ts';
import type { TrialState } from '../search/types.ts';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
const STATE_COLORS = { domain: ['done', 'pruned', 'failed'], range: ['#1f77b4', '#aaaaaa', '#d62728'] };

interface TrialLike { number: number; state: TrialState; values: number[]; objective?: number; params: Record<string, unknown> }

/** A 520×280 chart of layers over one shared x axis (the history and fold charts). */
const layered = (title: ChartSpec['title'], layer: object[]): ChartSpec => ({ $schema: SCHEMA, title, width: 520, height: 280, layer } as ChartSpec);

/** The value plotted for a trial: its objective, or (pruned) its last validation accuracy. */
const shown = (t: TrialLike) => (t.state === 'done' ? t.objective : t.values[t.values.length - 1]);

/** Optimisation history: every trial's validation accuracy by trial number, and the best so far. */
export async function writeHistoryChart(trials: readonly TrialLike[], base: string): Promise<{ svg: string; png: string }> {
  const points = trials.filter((t) => t.state !== 'running' && Number.isFinite(shown(t))).map((t) => ({ trial: t.number, accuracy: shown(t), state: t.state }));
  let best = -Infinity;
  const bestLine = trials.filter((t) => t.state === 'done' && Number.isFinite(t.objective)).sort((a, b) => a.number - b.number)
    .map((t) => { best = Math.max(best, t.objective!); return { trial: t.number, best }; });
  // Carry the best-so-far line on to the last trial shown.
  const last = Math.max(...points.map((p) => p.trial));
  if (bestLine.length && last > bestLine[bestLine.length - 1].trial) bestLine.push({ trial: last, best });
  const spec = layered({ text: 'Optimisation history', subtitle: 'validation accuracy per trial (pruned: at their last epoch); green: best so far' }, [
    {
      data: { values: bestLine },
      mark: { type: 'line', interpolate: 'step-after', color: '#2ca02c' },
      encoding: { x: { field: 'trial', type: 'quantitative' }, y: { field: 'best', type: 'quantitative', scale: { zero: false } } },
    },
    {
      data: { values: points },
      mark: { type: 'point', filled: true, size: 60 },
      encoding: {
        x: { field: 'trial', type: 'quantitative', title: 'trial', axis: { tickMinStep: 1 } },
        y: { field: 'accuracy', type: 'quantitative', title: 'validation accuracy', scale: { zero: false } },
        color: { field: 'state', type: 'nominal', scale: STATE_COLORS, title: null },
      },
    },
  ]);
  return writeChart(spec, base);
}

/**
 * A hyperparameter's axis: choices and small integer ranges (shift 0–2 px) as categories; log
 * ranges on a log scale labelled at powers of ten only (the default grid draws every 1–9·10^k).
 */
function xEncoding(key: string, dist: Distribution): object {
  if (dist.type === 'choice' || (dist.type === 'int' && !dist.log && dist.high - dist.low <= 10)) {
    return { field: key, type: 'ordinal', axis: { labelAngle: 0 } };
  }
  if (dist.type === 'loguniform' || (dist.type === 'int' && dist.log)) {
    const powers: number[] = [];
    for (let e = Math.floor(Math.log10(dist.low)); e <= Math.ceil(Math.log10(dist.high)); e++) powers.push(10 ** e);
    return { field: key, type: 'quantitative', scale: { type: 'log' }, axis: { values: powers, format: '~e', grid: false } };
  }
  return { field: key, type: 'quantitative', scale: { zero: false } };
}

/** One panel per searched hyperparameter: its value against validation accuracy. */
export async function writeParamsChart(trials: readonly TrialLike[], space: SearchSpace, base: string): Promise<{ svg: string; png: string }> {
  const rows = trials.filter((t) => t.state !== 'running' && Number.isFinite(shown(t))).map((t) => ({
    trial: t.number,
    accuracy: shown(t),
    state: t.state,
    // Booleans and strings become categories; numbers stay numbers.
    ...Object.fromEntries(space.params.map(({ key }) => [key, typeof t.params[key] === 'boolean' ? String(t.params[key]) : t.params[key]])),
  }));
  const spec: ChartSpec = {
    $schema: SCHEMA,
    title: 'Hyperparameters against validation accuracy',
    data: { values: rows },
    columns: 3,
    concat: space.params.map(({ key, dist }) => ({
      width: 200,
      height: 160,
      mark: { type: 'point', filled: true, size: 40 },
      encoding: {
        x: xEncoding(key, dist),
        y: { field: 'accuracy', type: 'quantitative', title: 'val accuracy', scale: { zero: false } },
        color: { field: 'state', type: 'nominal', scale: STATE_COLORS, title: null },
        tooltip: [{ field: 'trial' }],
      },
    })),
  } as ChartSpec;
  return writeChart(spec, base);
}

/** Per-fold accuracy of each configuration, with each one's mean and 95% confidence band. */
export async function writeFoldsChart(
  folds: { config: string; fold: number; accuracy: number }[],
  summaries: { config: string; mean: number; low: number; high: number }[],
  base: string,
): Promise<{ svg: string; png: string }> {
  const spec = layered({ text: 'Cross-validation: held-out accuracy per fold', subtitle: 'dashed: mean; band: 95% CI (Nadeau–Bengio corrected)' }, [
    {
      data: { values: summaries },
      mark: { type: 'rect', opacity: 0.15 },
      encoding: { y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color: { field: 'config', type: 'nominal' } },
    },
    {
      data: { values: summaries },
      mark: { type: 'rule', strokeDash: [4, 3] },
      encoding: { y: { field: 'mean', type: 'quantitative' }, color: { field: 'config', type: 'nominal' } },
    },
    {
      data: { values: folds },
      mark: { type: 'line', point: { filled: true, size: 60 } },
      encoding: {
        x: { field: 'fold', type: 'ordinal', title: 'fold', axis: { labelAngle: 0 } },
        y: { field: 'accuracy', type: 'quantitative', title: 'held-out fold accuracy', scale: { zero: false } },
        color: { field: 'config', type: 'nominal', title: null },
      },
    },
  ]);
  return writeChart(spec, base);
}
