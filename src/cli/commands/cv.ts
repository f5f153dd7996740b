import type { Command } from 'commander';
import { resolve } from 'node:path';
import { defaultDbPath } from '../../store/run_store.ts';
import { REDIS_ENV, REDIS_WAIT_HELP, REDIS_WAIT_SECONDS, redact } from '../../jobs/redis.ts';
import { UserError } from '../../util/errors.ts';
import { interruptOnSignals } from '../../util/interrupt.ts';
import { DB_HELP, emit, globals, parse, say, useBackend } from '../context.ts';

export function register(program: Command): void {
  program.command('cv')
    .description('stratified k-fold cross-validation of a configuration, or of two on the same folds (--compare) with the corrected resampled t-test; resumable')
    .option('--config <file>', 'configuration to cross-validate (JSON as for fmnist train; default: the built-in recipe)')
    .option('--recipe <name>', 'cross-validate a named recipe (as --config recipe:NAME)')
    .option('--compare <files...>', 'two configurations (files, recipe:NAME, or the word defaults) on the same folds; reports second − first')
    .option('--folds <k>', 'folds', parse.int('--folds', 2), 10)
    .option('--seed <n>', 'seed of the folds', parse.int('--seed', 0), 42)
    .option('--limit <n>', 'cross-validate on a stratified subset of n training images', parse.int('--limit', 10))
    .option('--epochs <n>', 'override the configurations\' epochs', parse.int('--epochs', 1))
    .option('--parallel <p>', 'fold runs at once, each in its own process with threads/P threads', parse.int('--parallel', 1), 1)
    .option('--redis <url>', `send the folds to fmnist workers through BullMQ on Redis (env ${REDIS_ENV})`)
    .option('--artifacts <dir>', 'with --redis: shared folder for run folders too big to return through Redis')
    .option('--redis-wait <s>', REDIS_WAIT_HELP, parse.int('--redis-wait', 1), REDIS_WAIT_SECONDS)
    .option('--out <dir>', 'output folder (default runs/cv/LABEL or runs/cv/A-vs-B)')
    .option('--db <file>', DB_HELP)
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd);
      const { cvConfigs, flattersFolds, formatCv, runCv } = await import('../../tune/cv.ts');
      const { makeScheduler } = await import('../../jobs/scheduler.ts');
      const { BullMQScheduler } = await import('../../jobs/remote.ts');
      const { loadFashionMnist } = await import('../../data/dataset.ts');
      const compare = o.compare as string[] | undefined;
      if ([compare, o.config, o.recipe].filter(Boolean).length > 1) throw new UserError('use one of --config, --recipe and --compare');
      if (compare && compare.length !== 2) throw new UserError(`--compare takes two configurations, got ${compare.length}`);
      const configs = cvConfigs(compare ?? (o.config ? [String(o.config)] : o.recipe ? [`recipe:${String(o.recipe)}`] : undefined), o.epochs as number | undefined);
      if (flattersFolds(configs)) say('note: patience > 0 stops early on the held-out fold itself, which flatters its score; consider patience 0 for CV');

      await useBackend(g);
      const data = loadFashionMnist({ dataDir: g.dataDir });
      const url = (o.redis as string | undefined) ?? process.env[REDIS_ENV];
      const remote = url
        ? { url, artifacts: o.artifacts as string | undefined, waitSeconds: o.redisWait as number, say } : undefined;
      const scheduler = makeScheduler({ parallel: o.parallel as number, data, dataDir: g.dataDir, remote });
      if (scheduler instanceof BullMQScheduler) { await scheduler.ready(); say(`folds go to the fmnist workers on ${redact(url!)}, ${scheduler.slots} queued at a time`); }
      const signal = interruptOnSignals(say);
      let result;
      try {
        result = await runCv({
          outDir: resolve(String(o.out ?? `runs/cv/${configs.map((c) => c.label).join('-vs-')}`)),
          configs,
          folds: o.folds as number,
          seed: o.seed as number,
          limit: (o.limit as number | undefined) ?? null,
          scheduler,
          db: (o.db as string | undefined) ?? defaultDbPath(),
          labels: data.train.labels,
          say,
          signal,
        });
      } finally {
        await scheduler.close();
      }
      const r = result;
      emit(g, r, () => formatCv(r));
    });
}
