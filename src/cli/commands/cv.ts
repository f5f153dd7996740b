import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { mergeConfig, readConfigFile } from '../../config.ts';
import { defaultThreads } from '../../backend/select.ts';
import { loadFashionMnist } from '../../data/dataset.ts';
import { DEFAULT_DB } from '../../store/run_store.ts';
import { formatCv, labelFor, runCv, type CvConfig } from '../../tune/cv.ts';
import { InProcessScheduler, ProcessPoolScheduler, type Scheduler } from '../../tune/scheduler.ts';
import { UserError } from '../../util/errors.ts';
import { emit, globals, parse, say, useBackend } from '../context.ts';
import { installInterruptHandlers } from './train.ts';

/** A config argument: a JSON file, or the word 'defaults' for the built-in recipe. */
function configFrom(arg: string | undefined, epochs: number | undefined, fallbackLabel: string): CvConfig {
  if (arg === undefined || ((arg === 'defaults' || arg === 'default') && !existsSync(arg))) {
    return { label: arg ?? fallbackLabel, config: mergeConfig(undefined, { epochs }, 'defaults'), source: 'defaults' };
  }
  return { label: labelFor(arg, fallbackLabel), config: mergeConfig(readConfigFile(arg), { epochs }, arg), source: resolve(arg) };
}

export function register(program: Command): void {
  program.command('cv')
    .description('stratified k-fold cross-validation of a configuration, or of two on the same folds (--compare) with the corrected resampled t-test; resumable')
    .option('--config <file>', 'configuration to cross-validate (JSON as for fmnist train; default: the built-in recipe)')
    .option('--compare <files...>', 'two configurations (files, or the word defaults) on the same folds; reports second − first')
    .option('--folds <k>', 'folds', parse.int('--folds', 2), 10)
    .option('--seed <n>', 'seed of the folds', parse.int('--seed', 0), 42)
    .option('--limit <n>', 'cross-validate on a stratified subset of n training images', parse.int('--limit', 10))
    .option('--epochs <n>', 'override the configurations\' epochs', parse.int('--epochs', 1))
    .option('--parallel <p>', 'fold runs at once, each in its own process with threads/P threads', parse.int('--parallel', 1), 1)
    .option('--out <dir>', 'output folder (default runs/cv/LABEL or runs/cv/A-vs-B)')
    .option('--db <file>', 'run store (default runs/fmnist.db, env FMNIST_DB)')
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd);
      const compare = o.compare as string[] | undefined;
      if (compare && o.config) throw new UserError('use either --config or --compare, not both');
      if (compare && compare.length !== 2) throw new UserError(`--compare takes two configurations, got ${compare.length}`);
      const epochs = o.epochs as number | undefined;
      const configs = compare
        ? [configFrom(compare[0], epochs, 'A'), configFrom(compare[1], epochs, 'B')]
        : [configFrom(o.config as string | undefined, epochs, 'defaults')];
      if (configs.length === 2 && configs[0].label === configs[1].label) { configs[0].label += '-A'; configs[1].label += '-B'; }
      if (configs.some((c) => c.config.patience > 0)) say('note: patience > 0 stops early on the held-out fold itself, which flatters its score; consider patience 0 for CV');

      await useBackend(g);
      const data = loadFashionMnist({ dataDir: g.dataDir });
      const parallel = o.parallel as number;
      const scheduler: Scheduler = parallel > 1
        ? new ProcessPoolScheduler({ size: parallel, threads: g.threads ?? defaultThreads(), backend: g.backend, dataDir: g.dataDir })
        : new InProcessScheduler(data);
      installInterruptHandlers();
      let result;
      try {
        result = await runCv({
          outDir: resolve(String(o.out ?? `runs/cv/${configs.map((c) => c.label).join('-vs-')}`)),
          configs,
          folds: o.folds as number,
          seed: o.seed as number,
          limit: (o.limit as number | undefined) ?? null,
          scheduler,
          db: (o.db as string | undefined) ?? process.env.FMNIST_DB ?? DEFAULT_DB,
          labels: data.train.labels,
          say,
        });
      } finally {
        await scheduler.close();
      }
      const r = result;
      emit(g, r, () => formatCv(r));
    });
}
