/** Export: every run's per-epoch metrics (one run or all) as CSV or JSON, the way the store holds them. */
import type { RunDetail } from '../store/run_store.ts';

const COLUMNS = ['run', 'name', 'kind', 'group', 'status', 'epoch', 'loss', 'acc', 'valLoss', 'valAcc', 'lr', 'seconds', 'imagesPerSecond'] as const;

/** RFC 4180: quote fields holding a comma, quote or newline. */
const field = (v: unknown) => {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function metricsCsv(runs: RunDetail[]): string {
  const lines = [COLUMNS.join(',')];
  for (const r of runs) {
    for (const e of r.epochs) {
      const row: Record<string, unknown> = { run: r.id, name: r.name, kind: r.kind, group: r.group, status: r.status, ...e };
      lines.push(COLUMNS.map((c) => field(row[c])).join(','));
    }
  }
  return lines.join('\n') + '\n';
}

export function metricsJson(runs: RunDetail[]): object {
  return {
    runs: runs.map((r) => ({
      id: r.id, name: r.name, kind: r.kind, group: r.group, status: r.status, outDir: r.outDir, config: r.config,
      finalMetrics: r.finalMetrics, seconds: r.seconds, startedAt: r.startedAt, finishedAt: r.finishedAt, epochs: r.epochs,
    })),
  };
}
