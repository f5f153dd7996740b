import type { Command } from 'commander';
import { probeRedis, REDIS_ENV } from '../../jobs/redis.ts';
import { UserError } from '../../util/errors.ts';
import { globals, parse, say } from '../context.ts';

export function register(program: Command): void {
  program.command('worker')
    .description('take tuning trials, CV folds and refits from a BullMQ queue on Redis (fmnist tune|cv|study --redis) '
      + 'and run them here; stops on Ctrl-C or SIGTERM after its running jobs, at once when none runs')
    .option('--redis <url>', `redis://[:PASSWORD@]HOST:PORT or rediss:// for TLS (env ${REDIS_ENV}); never expose Redis publicly`)
    .option('--concurrency <n>', 'jobs at once, each in its own child process', parse.int('--concurrency', 1), 1)
    .option('--work <dir>', 'this worker\'s run folders', 'runs/worker')
    .option('--artifacts <dir>', 'shared folder for run folders too big to return through Redis')
    .option('--stall-seconds <s>', 'lock duration: a killed worker\'s job runs again elsewhere after about this long', parse.int('--stall-seconds', 1), 30)
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd);
      const url = (o.redis as string | undefined) ?? process.env[REDIS_ENV];
      if (!url) throw new UserError(`fmnist worker needs --redis URL (or ${REDIS_ENV})`);
      const { warning } = await probeRedis(url);
      if (warning) say(warning);
      const { startRemoteWorker } = await import('../../jobs/remote_worker.ts');
      const remote = startRemoteWorker({
        url,
        concurrency: o.concurrency as number,
        threads: g.threads ?? 1,
        backend: g.backend,
        precision: g.precision,
        dataDir: g.dataDir,
        workDir: String(o.work),
        artifacts: o.artifacts as string | undefined,
        stallMs: (o.stallSeconds as number) * 1000,
        say,
      });
      // The signals are ours from the start: one that arrives while BullMQ connects stops the worker the same way.
      const stopped = new Promise<void>((done) => {
        let stopping = false;
        const stop = () => {
          if (stopping) process.exit(130);
          stopping = true;
          void remote.stop().then(done);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await remote.worker.waitUntilReady();
      await stopped;
      // Stopped: connections BullMQ could not close politely (Redis away) must not keep the process alive.
      process.exit(0);
    });
}
