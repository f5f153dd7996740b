import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultDbPath } from '../../store/run_store.ts';
import { UserError } from '../../util/errors.ts';
import { DB_HELP, globals, parse, say, useBackend } from '../context.ts';

export function register(program: Command): void {
  program
    .command('serve')
    .description(
      'a local web app: runs (filters, compare, live progress), studies, the data, and "try it" on your own pictures ' +
        '(read-only)',
    )
    .option('--port <n>', 'port (0: any free one)', parse.int('--port', 0, 65535), 8080)
    .option(
      '--host <addr>',
      'address to listen on; anything but 127.0.0.1 exposes your runs to the network',
      '127.0.0.1',
    )
    .option(
      '--study <dir>',
      "a study folder to show beside the store's runs (default: the newest out/*/study.json, as fmnist report)",
    )
    .option('--db <file>', DB_HELP)
    .action(async (o: { port: number; host: string; study?: string; db?: string }, cmd: Command) => {
      const g = globals(cmd);
      if (o.study && !existsSync(join(o.study, 'study.json')))
        throw new UserError(`${o.study}: not a study folder (no study.json); see 'fmnist study'`);
      await useBackend(g, { inference: true }); // the upload check runs `fmnist predict`'s inference in this process
      const { newestStudy } = await import('../../report/html/collect.ts');
      const { startServer } = await import('../../web/server.ts');
      const study = o.study ?? newestStudy();
      if (study) say(`study: ${resolve(study)}`);
      const s = await startServer({
        db: resolve(o.db ?? defaultDbPath()),
        host: o.host,
        port: o.port,
        study,
        dataDir: g.dataDir,
        log: say,
      });
      if (o.host !== '127.0.0.1' && o.host !== 'localhost' && o.host !== '::1')
        say(`warning: listening on ${o.host}: anyone who can reach this machine can see your runs`);
      say(`fmnist serve: ${s.url} (Ctrl-C stops it)`);
      await new Promise<void>((done) => {
        const stop = () => {
          void s.close().then(done);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
