import type { Command } from 'commander';
import { resolve } from 'node:path';
import { emit, globals, say } from '../context.ts';

export function register(program: Command): void {
  program.command('explore')
    .description('figures and numbers about the data: class balance, samples, mean images, histograms, duplicates')
    .option('--out <dir>', 'where to write them', 'out/explore')
    .action(async (o: { out: string }, cmd: Command) => {
      const g = globals(cmd);
      const { loadFashionMnist } = await import('../../data/dataset.ts');
      const { explore, formatExplore } = await import('../../data/explore.ts');
      const data = loadFashionMnist({ dataDir: g.dataDir });
      say(`exploring ${data.dir} → ${resolve(o.out)}`);
      const summary = await explore(data, resolve(o.out));
      emit(g, summary, () => formatExplore(summary));
    });
}
