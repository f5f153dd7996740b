import type { Command } from 'commander';
import { probeRedis, REDIS_ENV } from '../../jobs/remote.ts';
import { startRemoteWorker } from '../../jobs/remote_worker.ts';
import { UserError } from '../../util/errors.ts';
import { globals, parse, say } from '../context.ts';

export function register(program: Command): void {
  program.command('worker')
    .description('take tuning trials, CV folds and refits from a BullMQ queue on Redis (fmnist tune|cv|study --redis) and run them here; stops on Ctrl-C after its jobs')
    .option('--redis <url>', `redis://[:PASSWORD@]HOST:PORT or rediss:// for TLS (env ${REDIS_ENV}); never expose Redis publicly`)
    .option('--concurrency <n>', 'jobs at once, each in its own child process', parse.int('--concurrency', 1), 1)
    .option('--work <dir>', 'this worker\'s run folders', 'runs/worker')
    .option('--artifacts <dir>', 'shared folder for run folders too big to return through Redis')
    .option('--stall-seconds <s>', 'lock duration: a killed worker\'s job runs again elsewhere after about this long', parse.int('--stall-seconds', 1), 30)
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd);
      const url = (o.redis as string | undefined) ?? process.env[REDIS_ENV];
      if (!url) throw new UserError(`fmnist worker needs --redis URL (or ${REDIS_ENV})`);
      await probeRedis(url);
      const worker = startRemoteWorker({
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
      await worker.waitUntilReady();
      await new Promise<void>((done) => {
        let stopping = false;
        const stop = () => {
          if (stopping) process.exit(130);
          stopping = true;
          say('worker: stopping after the running jobs (Ctrl-C again to quit now; they run again elsewhere)');
          void worker.close().then(done);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
