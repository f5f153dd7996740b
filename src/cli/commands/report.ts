import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultDbPath } from '../../store/run_store.ts';
import { UserError } from '../../util/errors.ts';
import { DB_HELP, emit, globals, say } from '../context.ts';

export function register(program: Command): void {
  program.command('report')
    .description('one self-contained HTML file of everything: data, runs, evaluations, tuning, CV, transfer, beside the published study')
    .option('--out <file>', 'where to write it', 'report.html')
    .option('--study <dir>', 'a study folder (default: the newest out/*/study.json)')
    .option('--runs <ids>', 'only these runs of the store, e.g. 3,5,8')
    .option('--db <file>', DB_HELP)
    .action(async (o: { out: string; study?: string; runs?: string; db?: string }, cmd: Command) => {
      const g = globals(cmd);
      const { newestStudy } = await import('../../report/html/collect.ts');
      const study = o.study ?? newestStudy();
      if (o.study && !existsSync(join(o.study, 'study.json'))) throw new UserError(`${o.study}: not a study folder (no study.json); see 'fmnist study'`);
      const runs = o.runs?.split(',').map((s) => {
        const n = Number(s.trim());
        if (!Number.isInteger(n) || n < 1) throw new UserError(`--runs takes run ids separated by commas (see 'fmnist runs list'), got '${o.runs}'`);
        return n;
      });
      const out = resolve(o.out);
      if (study) say(`study: ${resolve(study)}`);
      const { writeHtmlReport } = await import('../../report/html/report.ts');
      await writeHtmlReport(out, { db: o.db ?? defaultDbPath(), study, runs });
      emit(g, { report: out }, () => `report: ${out}`);
    });
}
