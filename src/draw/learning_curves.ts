/** Loss and accuracy per epoch, training vs validation, as one chart. */
import { join } from 'node:path';
import type { EpochMetrics } from '../train/types.ts';
import { writeChart, type ChartSpec } from './charts.ts';
import { runColour } from './palette.ts';

export async function writeLearningCurves(outDir: string, history: EpochMetrics[]): Promise<{ svg: string; png: string }> {
  return writeChart(learningCurvesSpec(history), join(outDir, 'learning_curves'));
}

/** The chart's spec (the HTML report and `fmnist serve` draw it from a run's metrics too). */
export function learningCurvesSpec(history: EpochMetrics[]): ChartSpec {
  return curvesSpec('Learning curves', curveRows(history), { field: 'split', type: 'nominal', title: null });
}

/**
 * Several runs in one chart (`fmnist serve`'s comparison): a colour per run (palette.ts), in the order given
 * (the legend too, not sorted as text: #2 before #10), validation solid and training dashed.
 */
export function overlaySpec(runs: { label: string; epochs: EpochMetrics[] }[]): ChartSpec {
  const rows = runs.flatMap((r) => curveRows(r.epochs).map((row) => ({ ...row, run: r.label })));
  const labels = runs.map((r) => r.label);
  const range = labels.map((_, i) => runColour(i));
  const color = { field: 'run', type: 'nominal', title: 'run', sort: labels, scale: { domain: labels, range },
    legend: { labelLimit: 320 } };
  return curvesSpec({ text: 'Learning curves, overlaid', subtitle: 'solid: validation, dashed: training' }, rows, color,
    { strokeDash: { field: 'split', type: 'nominal', scale: { domain: ['validation', 'train'], range: [[1, 0], [4, 3]] }, title: null } });
}

/** One row per epoch, metric and split. */
function curveRows(history: EpochMetrics[]) {
  return history.flatMap((h) => [
    { epoch: h.epoch, metric: 'loss', split: 'train', value: h.loss },
    { epoch: h.epoch, metric: 'accuracy', split: 'train', value: h.acc },
    ...(h.valLoss !== undefined ? [{ epoch: h.epoch, metric: 'loss', split: 'validation', value: h.valLoss }] : []),
    ...(h.valAcc !== undefined ? [{ epoch: h.epoch, metric: 'accuracy', split: 'validation', value: h.valAcc }] : []),
  ]);
}

/** Loss and accuracy side by side (each its own y scale), coloured as `color` says. */
function curvesSpec(title: ChartSpec['title'], rows: object[], color: object, more: object = {}): ChartSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values: rows },
    facet: { column: { field: 'metric', type: 'nominal', sort: ['loss', 'accuracy'], title: null } },
    spec: {
      width: 320,
      height: 220,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: null },
        color,
        ...more,
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}
