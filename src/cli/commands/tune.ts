import type { Command } from 'commander';
import { resolve } from 'node:path';
import { readConfigFile } from '../../config.ts';
import { recipeSettings } from '../../recipes.ts';
import { defaultDbPath } from '../../store/run_store.ts';
import { REDIS_ENV, REDIS_WAIT_HELP, REDIS_WAIT_SECONDS, redact } from '../../jobs/redis.ts';
import { defaultSpace, parseSpace, readSpaceFile } from '../../search/space.ts';
import { STRATEGIES } from '../../search/strategies/index.ts';
import { pct } from '../../util/format.ts';
import { UserError } from '../../util/errors.ts';
import { interruptOnSignals } from '../../util/interrupt.ts';
import { DB_HELP, emit, globals, parse, say, useBackend } from '../context.ts';

export function register(program: Command): void {
  program.command('tune')
    .description('tune hyperparameters on a held-out validation split (random, hyperband or TPE, with pruning); resumable: rerun to continue')
    .option('--strategy <name>', STRATEGIES.join('|'), 'tpe')
    .option('--trials <n>', 'trials to run (may grow on a rerun)', parse.int('--trials', 1), 20)
    .option('--space <file>', 'search space JSON (default: the LeNet-5 space; see src/search/space.ts)')
    .option('--recipe <name>', 'the named recipe every trial starts from (--config overrides it)')
    .option('--config <file>', 'settings every trial starts from (JSON, as for fmnist train)')
    .option('--epochs <n>', 'epochs per trial, fewer than the final schedule for a cheaper search (hyperband: the most a trial gets; default: the epochs of --config or of the default recipe)', parse.int('--epochs', 1))
    .option('--limit <n>', 'tune on a stratified subset of n training images', parse.int('--limit', 10))
    .option('--val-split <x>', 'held-out validation fraction of the training images', parse.num('--val-split'), 0.1)
    .option('--seed <n>', 'sampling seed (trial n draws from seed and n alone)', parse.int('--seed', 0), 0)
    .option('--pruner <name>', 'median|none (random and tpe; hyperband always halves)', 'median')
    .option('--parallel <p>', 'trials at once, each in its own process with threads/P threads (with --redis: trials queued at once, default 8)', parse.int('--parallel', 1), 1)
    .option('--redis <url>', `send the trials to fmnist workers through BullMQ on Redis (env ${REDIS_ENV}): redis://:PASSWORD@HOST:PORT or rediss://`)
    .option('--artifacts <dir>', 'with --redis: shared folder for run folders too big to return through Redis (the workers\' --artifacts)')
    .option('--redis-wait <s>', REDIS_WAIT_HELP, parse.int('--redis-wait', 1), REDIS_WAIT_SECONDS)
    .option('--no-final', 'skip retraining the best configuration on the whole pool (all training images, or --limit of them) and the one test-set evaluation')
    .option('--out <dir>', 'study folder (default runs/tune/STRATEGY)')
    .option('--db <file>', DB_HELP)
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd);
      const strategy = String(o.strategy);
      if (!(STRATEGIES as readonly string[]).includes(strategy)) throw new UserError(`unknown --strategy '${strategy}': use one of ${STRATEGIES.join(', ')}`);
      const pruner = String(o.pruner);
      if (pruner !== 'median' && pruner !== 'none') throw new UserError(`--pruner must be median or none, got '${pruner}'`);
      const valSplit = o.valSplit as number;
      if (!(valSplit > 0 && valSplit < 1)) throw new UserError(`tuning needs a held-out validation split: --val-split must be between 0 and 1, got ${valSplit}`);

      // Its limit and valSplit do not apply: the study owns which images train and validate.
      const base = { ...(o.recipe ? recipeSettings(String(o.recipe)) : {}), ...(o.config ? readConfigFile(String(o.config)) : {}) };
      const space = o.space ? readSpaceFile(String(o.space)) : parseSpace(defaultSpace(), 'default space');
      if (o.epochs !== undefined) {
        if (space.params.some((p) => p.key === 'epochs')) throw new UserError(`--epochs: the search space already searches 'epochs'; drop one of them`);
        space.fixed.epochs = o.epochs;
      }

      await useBackend(g);
      const { makeScheduler, ProcessPoolScheduler } = await import('../../jobs/scheduler.ts');
      const { BullMQScheduler } = await import('../../jobs/remote.ts');
      const { formatParams, formatTrials, runTune } = await import('../../tune/tune.ts');
      const { loadFashionMnist } = await import('../../data/dataset.ts');
      const data = loadFashionMnist({ dataDir: g.dataDir });
      const db = (o.db as string | undefined) ?? defaultDbPath();
      const parallel = o.parallel as number;
      const url = (o.redis as string | undefined) ?? process.env[REDIS_ENV];
      const remote = url
        ? { url, artifacts: o.artifacts as string | undefined, waitSeconds: o.redisWait as number, say } : undefined;
      const scheduler = makeScheduler({ parallel, data, dataDir: g.dataDir, remote });
      if (scheduler instanceof BullMQScheduler) { await scheduler.ready(); say(`trials go to the fmnist workers on ${redact(url!)}, ${scheduler.slots} queued at a time`); }
      if (scheduler instanceof ProcessPoolScheduler) say(`${parallel} worker processes, ${scheduler.threadsPerWorker} thread${scheduler.threadsPerWorker === 1 ? '' : 's'} each`);
      const signal = interruptOnSignals(say);
      let result;
      try {
        result = await runTune({
          outDir: resolve(String(o.out ?? `runs/tune/${strategy}`)),
          strategy: strategy as (typeof STRATEGIES)[number],
          trials: o.trials as number,
          space,
          base,
          limit: (o.limit as number | undefined) ?? null,
          valSplit,
          seed: o.seed as number,
          pruner,
          scheduler,
          db,
          say,
          final: o.final === false ? undefined : { data },
          signal,
        });
      } finally {
        await scheduler.close();
      }
      const r = result;
      emit(g, { outDir: r.outDir, id: r.state.id, best: r.best ?? null, final: r.state.final ?? null, trials: r.state.trials, files: r.files }, () => [
        formatTrials(r.state),
        '',
        r.best ? `best: ${r.best.name} val_acc ${pct(r.best.objective)}  ${formatParams(r.best.params)}` : 'no trial finished',
        ...(r.state.final ? [`test accuracy of the best configuration retrained on ${r.state.final.trainImages} images: ${pct(r.state.final.testAccuracy)} (${r.state.final.outDir})`] : []),
        ...(r.files.bestConfig ? [`best configuration: ${r.files.bestConfig}  (fmnist train --config ${r.files.bestConfig})`] : []),
        `figures: ${r.files.historyPng}, ${r.files.paramsPng}; table: ${r.files.trials}`,
      ].join('\n'));
    });
}
