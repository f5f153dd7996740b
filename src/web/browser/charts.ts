/// <reference lib="dom" />
/**
 * The run, compare and studies pages' script: every `[data-chart]` box becomes the interactive
 * learning curves, every `[data-parallel]` box the brushable parallel coordinates, over the JSON
 * block each names (pages.ts embeds them), in place of the static chart inside.
 */
import type { ParallelRow } from '../../report/html/charts.ts';
import type { ChartRun } from './chart_math.ts';
import { mountChart } from './chart.ts';
import { mountParallel } from './parallel.ts';

const dataOf = <T>(box: HTMLElement, name: string): T | undefined => {
  const text = document.getElementById(box.dataset[name]!)?.textContent;
  return text ? (JSON.parse(text) as T) : undefined;
};

for (const box of document.querySelectorAll<HTMLElement>('[data-chart]')) {
  const runs = dataOf<ChartRun[]>(box, 'chart');
  if (!runs) continue;
  mountChart(box, runs);
  box.dataset.ready = 'true';
}

for (const box of document.querySelectorAll<HTMLElement>('[data-parallel]')) {
  const data = dataOf<{ axes: string[]; rows: ParallelRow[] }>(box, 'parallel');
  if (!data) continue;
  // The trials table is the block's table just before the chart (report/html/sections.ts tuneBlock).
  const table = box.previousElementSibling;
  const rows = () =>
    [...(table?.querySelectorAll<HTMLElement>('tbody tr') ?? [])].map((row) => {
      row.dataset.trial = row.querySelector<HTMLElement>('[data-trial]')?.dataset.trial ?? '';
      return row;
    });
  mountParallel(box, data, rows);
  box.dataset.ready = 'true';
}
