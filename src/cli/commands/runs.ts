import type { Command } from 'commander';
import { DB_ENV, DEFAULT_DB, RunStore, compareRuns, defaultDbPath, type RunRow } from '../../store/run_store.ts';
import { UserError } from '../../util/errors.ts';
import { pct } from '../../util/format.ts';
import { emit, globals, parse } from '../context.ts';

function table(rows: RunRow[]): string {
  if (!rows.length) return 'no runs yet';
  const lines = [`${'id'.padStart(4)}  ${'kind'.padEnd(6)} ${'group'.padEnd(26)} ${'name'.padEnd(12)} ${'status'.padEnd(11)} ${'prec'.padEnd(4)} ${'val_acc'.padStart(8)} ${'time'.padStart(8)}  out`];
  for (const r of rows) {
    lines.push(`${String(r.id).padStart(4)}  ${r.kind.padEnd(6)} ${(r.group ?? '').slice(0, 26).padEnd(26)} ${(r.name ?? '').slice(0, 12).padEnd(12)} ${r.status.padEnd(11)} ${r.precision.padEnd(4)} ${pct(r.finalMetrics?.valAcc).padStart(8)} ${(r.seconds === null ? '' : `${Math.round(r.seconds)}s`).padStart(8)}  ${r.outDir ?? ''}`);
  }
  return lines.join('\n');
}

export function register(program: Command): void {
  const runs = program.command('runs').description('the run store: every train, trial and fold').option('--db <file>', `database (default ${DEFAULT_DB}, env ${DB_ENV})`);
  // Reading commands never create a store (nor its folder): a mistyped --db is an error, not an empty store.
  const open = (cmd: Command) => RunStore.openReadOnly((cmd.optsWithGlobals().db as string | undefined) ?? defaultDbPath());

  runs.command('list')
    .description('all runs, oldest first')
    .option('--kind <kind>', 'train|trial|fold')
    .option('--group <id>', 'a tuning study or CV id')
    .option('--status <s>', 'running|done|failed|interrupted|pruned')
    .action((o: { kind?: string; group?: string; status?: string }, cmd: Command) => {
      const g = globals(cmd);
      const store = open(cmd);
      const rows = store.listRuns(o);
      store.close();
      emit(g, rows, () => table(rows));
    });

  runs.command('show <id>')
    .description('one run: config, environment, per-epoch metrics')
    .action((id: string, _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      const store = open(cmd);
      const run = store.getRun(parse.int('run id', 1)(id));
      store.close();
      emit(g, run, () => [
        table([run]),
        `config: ${JSON.stringify(run.config)}`,
        `backend: ${JSON.stringify(run.meta.backend)}  precision: ${run.precision}  versions: ${JSON.stringify(run.meta.versions)}`,
        ...(run.error ? [`error: ${run.error}`] : []),
        'epoch    loss     acc  val_loss  val_acc        lr   seconds',
        ...run.epochs.map((e) => `${String(e.epoch).padStart(5)} ${e.loss.toFixed(4).padStart(7)} ${e.acc.toFixed(4).padStart(7)} ${(e.valLoss?.toFixed(4) ?? '—').padStart(9)} ${(e.valAcc?.toFixed(4) ?? '—').padStart(8)} ${e.lr.toExponential(2).padStart(9)} ${e.seconds.toFixed(1).padStart(9)}`),
      ].join('\n'));
    });

  runs.command('compare <ids...>')
    .description('runs side by side: the settings that differ, and their results')
    .action((ids: string[], _o: unknown, cmd: Command) => {
      const g = globals(cmd);
      if (ids.length < 2) throw new UserError('compare needs at least two run ids');
      const store = open(cmd);
      const list = ids.map((id) => store.getRun(parse.int('run id', 1)(id)));
      store.close();
      const result = compareRuns(list);
      const differing = Object.keys(result.differingSettings);
      emit(g, result, () => {
        const col = (v: unknown) => String(v ?? '—').slice(0, 12).padStart(12);
        return [
          `${'run'.padEnd(16)}${list.map((r) => col(`#${r.id}`)).join('')}`,
          ...differing.map((k) => `${k.padEnd(16)}${list.map((r) => col((r.config as Record<string, unknown>)[k])).join('')}`),
          `${'status'.padEnd(16)}${list.map((r) => col(r.status)).join('')}`,
          `${'epochs'.padEnd(16)}${list.map((r) => col(r.epochs.length)).join('')}`,
          `${'val_acc'.padEnd(16)}${list.map((r) => col(pct(r.finalMetrics?.valAcc))).join('')}`,
          `${'val_loss'.padEnd(16)}${list.map((r) => col(r.finalMetrics?.valLoss?.toFixed(4))).join('')}`,
          `${'seconds'.padEnd(16)}${list.map((r) => col(r.seconds === null ? undefined : Math.round(r.seconds))).join('')}`,
        ].join('\n');
      });
    });
}
