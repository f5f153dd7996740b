import type { Command } from 'commander';
import { resolve } from 'node:path';
import { UserError } from '../../util/errors.ts';
import { RELEASED } from '../../store/released.ts';
import { emit, globals, modelDir, useBackend } from '../context.ts';

export function register(program: Command): void {
  program.command('evaluate [dir]')
    .description('accuracy, per-class metrics, confusion matrix and the most confidently wrong images of a saved model')
    .option('--model <name>', `a released model instead of a run folder: ${Object.keys(RELEASED).join(', ')}`)
    .option('--split <name>', 'test (the official 10,000) or val (the run\'s held-out part)', 'test')
    .option('--out <dir>', 'where to write the figures (default DIR/eval-SPLIT, DIR/eval-SPLIT-tta with --tta)')
    .option('--tta', 'flip test-time augmentation: average the probabilities of each image and its mirror')
    .action(async (dirArg: string | undefined, o: { model?: string; split: string; out?: string; tta?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const dir = modelDir(dirArg, o.model);
      if (o.split !== 'test' && o.split !== 'val') throw new UserError(`--split must be test or val, got '${o.split}'`);
      await useBackend(g, { inference: true });
      const { loadFashionMnist } = await import('../../data/dataset.ts');
      const { evaluateModel, formatEvaluation } = await import('../../evaluate/evaluate.ts');
      const data = loadFashionMnist({ dataDir: g.dataDir });
      const report = await evaluateModel(resolve(dir), o.split, data, o.out ? resolve(o.out) : undefined, { tta: o.tta });
      emit(g, report, () => formatEvaluation(report));
    });
}
