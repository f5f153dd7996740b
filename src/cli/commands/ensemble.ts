import type { Command } from 'commander';
import { resolve } from 'node:path';
import { emit, globals, useBackend } from '../context.ts';

export function register(program: Command): void {
  program.command('ensemble <runs...>')
    .description('test accuracy of saved runs and of their ensemble (averaged probabilities)')
    .option('--tta', 'flip test-time augmentation for every member')
    .action(async (runs: string[], o: { tta?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      await useBackend(g, { inference: true });
      const { loadFashionMnist } = await import('../../data/dataset.ts');
      const { evaluateEnsemble, formatEnsemble } = await import('../../evaluate/ensemble.ts');
      const data = loadFashionMnist({ dataDir: g.dataDir });
      const report = await evaluateEnsemble(runs.map((r) => resolve(r)), data, { tta: o.tta });
      emit(g, report, () => formatEnsemble(report));
    });
}
