/** Loss and accuracy per epoch, training vs validation, as one chart. */
import { join } from 'node:path';
import type { EpochMetrics } from '../train/types.ts';
import { writeChart, type ChartSpec } from './charts.ts';

export async function writeLearningCurves(outDir: string, history: EpochMetrics[]): Promise<{ svg: string; png: string }> {
  return writeChart(learningCurvesSpec(history), join(outDir, 'learning_curves'));
}

/** The chart's spec (the HTML report and `fmnist serve` draw it from a run's metrics too). */
export function learningCurvesSpec(history: EpochMetrics[]): ChartSpec {
  const rows = history.flatMap((h) => [
    { epoch: h.epoch, metric: 'loss', split: 'train', value: h.loss },
    { epoch: h.epoch, metric: 'accuracy', split: 'train', value: h.acc },
    ...(h.valLoss !== undefined ? [{ epoch: h.epoch, metric: 'loss', split: 'validation', value: h.valLoss }] : []),
    ...(h.valAcc !== undefined ? [{ epoch: h.epoch, metric: 'accuracy', split: 'validation', value: h.valAcc }] : []),
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Learning curves',
    data: { values: rows },
    facet: { column: { field: 'metric', type: 'nominal', sort: ['loss', 'accuracy'], title: null } },
    spec: {
      width: 320,
      height: 220,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: null },
        color: { field: 'split', type: 'nominal', title: null },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}
