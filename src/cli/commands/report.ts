import type { Command } from 'commander';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeHtmlReport } from '../../report/html/report.ts';
import { defaultDbPath } from '../../store/run_store.ts';
import { UserError } from '../../util/errors.ts';
import { DB_HELP, emit, globals, say } from '../context.ts';

/** The newest study folder under out/ (what `fmnist study` writes), if any. */
function newestStudy(): string | undefined {
  if (!existsSync('out')) return undefined;
  return readdirSync('out').map((n) => join('out', n)).filter((d) => existsSync(join(d, 'study.json')))
    .sort((a, b) => statSync(join(b, 'study.json')).mtimeMs - statSync(join(a, 'study.json')).mtimeMs)[0];
}

export function register(program: Command): void {
  program.command('report')
    .description('one self-contained HTML file of everything: data, runs, evaluations, tuning, CV, transfer, beside the published study')
    .option('--out <file>', 'where to write it', 'report.html')
    .option('--study <dir>', 'a study folder (default: the newest out/*/study.json)')
    .option('--runs <ids>', 'only these runs of the store, e.g. 3,5,8')
    .option('--db <file>', DB_HELP)
    .action(async (o: { out: string; study?: string; runs?: string; db?: string }, cmd: Command) => {
      const g = globals(cmd);
      const study = o.study ?? newestStudy();
      if (o.study && !existsSync(join(o.study, 'study.json'))) throw new UserError(`${o.study}: not a study folder (no study.json); see 'fmnist study'`);
      const runs = o.runs?.split(',').map((s) => {
        const n = Number(s.trim());
        if (!Number.isInteger(n) || n < 1) throw new UserError(`--runs takes run ids separated by commas (see 'fmnist runs list'), got '${o.runs}'`);
        return n;
      });
      const out = resolve(o.out);
      if (study) say(`study: ${resolve(study)}`);
      await writeHtmlReport(out, { db: o.db ?? defaultDbPath(), study, runs });
      emit(g, { report: out }, () => `report: ${out}`);
    });
}
