import type { Command } from 'commander';
import { resolve } from 'node:path';
import { PROFILE_NAMES, PROFILES, type Profile } from '../../pipeline/profiles.ts';
import { defaultDbPath } from '../../store/run_store.ts';
import { UserError } from '../../util/errors.ts';
import { interruptOnSignals } from '../../util/interrupt.ts';
import { DB_HELP, emit, globals, parse, say, useBackend } from '../context.ts';
import { openRecorder } from '../recorder.ts';
import { REDIS_ENV, REDIS_WAIT_HELP, REDIS_WAIT_SECONDS } from '../../jobs/redis.ts';
import type { RemoteChoice } from '../../jobs/scheduler.ts';

interface StudyFlags {
  profile: string; out?: string; db?: string; parallel?: number; redis?: string; artifacts?: string; redisWait: number;
}

export function register(program: Command): void {
  program.command('study')
    .description('the published study end to end: data, exploration, LeNet-5 training and evaluation, tuning, cross-validation, transfer learning (resumable)')
    .option('--profile <name>', PROFILE_NAMES.map((n) => `${n}: ${PROFILES[n].what}`).join('; '), 'standard')
    .option('--out <dir>', 'where everything goes (default out/study-PROFILE)')
    .option('--db <file>', DB_HELP)
    .option('--parallel <p>', 'tuning trials and CV folds at once, each in its own process (default: one per core, at most 4; quick 1)', parse.int('--parallel', 1))
    .option('--redis <url>', `run the tuning trials and CV folds on fmnist workers through BullMQ on Redis (env ${REDIS_ENV})`)
    .option('--artifacts <dir>', 'with --redis: shared folder for run folders too big to return through Redis')
    .option('--redis-wait <s>', REDIS_WAIT_HELP, parse.int('--redis-wait', 1), REDIS_WAIT_SECONDS)
    .action(async (o: StudyFlags, cmd: Command) => {
      const g = globals(cmd);
      if (!(PROFILE_NAMES as readonly string[]).includes(o.profile)) throw new UserError(`--profile must be one of ${PROFILE_NAMES.join(', ')}, got '${o.profile}'`);
      await useBackend(g);
      const { runStudy } = await import('../../pipeline/study.ts');
      const signal = interruptOnSignals(say);
      const db = o.db ?? defaultDbPath();
      const url = o.redis ?? process.env[REDIS_ENV];
      const remote: RemoteChoice | undefined = url
        ? { url, artifacts: o.artifacts, waitSeconds: o.redisWait, say } : undefined;
      const result = await runStudy({
        profile: o.profile as Profile,
        outDir: resolve(o.out ?? `out/study-${o.profile}`),
        dataDir: g.dataDir,
        say,
        recorder: () => openRecorder(db, 'study'),
        db,
        parallel: o.parallel,
        remote,
        signal,
      });
      // The last line is the HTML report: `npm start` ends by printing where to open it.
      emit(g, result, () => `study done: ${result.report} (all results: ${result.outDir}/study.json)\nreport: ${result.htmlReport}`);
    });
}
