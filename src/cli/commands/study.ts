import type { Command } from 'commander';
import { resolve } from 'node:path';
import { runStudy, type Profile } from '../../pipeline/study.ts';
import { UserError } from '../../util/errors.ts';
import { emit, globals, say, useBackend } from '../context.ts';
import { openRecorder } from '../recorder.ts';
import { installInterruptHandlers } from './train.ts';

export function register(program: Command): void {
  program.command('study')
    .description('the published study end to end: data, exploration, LeNet-5 training and evaluation (resumable)')
    .option('--profile <name>', 'quick (minutes) or full (the study\'s scale)', 'quick')
    .option('--out <dir>', 'where everything goes (default out/study-PROFILE)')
    .option('--db <file>', 'run store (default runs/fmnist.db)')
    .action(async (o: { profile: string; out?: string; db?: string }, cmd: Command) => {
      const g = globals(cmd);
      if (o.profile !== 'quick' && o.profile !== 'full') throw new UserError(`--profile must be quick or full, got '${o.profile}'`);
      await useBackend(g);
      installInterruptHandlers();
      const result = await runStudy({
        profile: o.profile as Profile,
        outDir: resolve(o.out ?? `out/study-${o.profile}`),
        dataDir: g.dataDir,
        say,
        recorder: () => openRecorder(o.db, 'study'),
        db: o.db,
      });
      emit(g, result, () => `study done: ${result.outDir}/study.json`);
    });
}
