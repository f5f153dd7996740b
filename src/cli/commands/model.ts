import type { Command } from 'commander';
import { UserError } from '../../util/errors.ts';
import { emit, globals, parse, useBackend } from '../context.ts';

export function register(program: Command): void {
  const model = program.command('model').description('architectures');
  model.command('info <name>')
    .description('layer names, output shapes and parameter counts (total and trainable)')
    .option('--include-top', 'with the ImageNet classifier (Keras applications)')
    .option('--input-size <n>', 'square input size for ImageNet-style models', parse.int('--input-size', 32))
    .option('--pooling <kind>', 'avg|max|none for ImageNet-style models without top')
    .option('--alpha <x>', 'width multiplier (mobilenet, mobilenetv2)', parse.num('--alpha'))
    .action(async (name: string, o: { includeTop?: boolean; inputSize?: number; pooling?: string; alpha?: number }, cmd: Command) => {
      const g = globals(cmd);
      if (o.pooling && !['avg', 'max', 'none'].includes(o.pooling)) throw new UserError(`--pooling must be avg, max or none, got '${o.pooling}'`);
      // Building is enough to count parameters; the cpu backend avoids initialising anything heavier.
      await useBackend({ ...g, backend: g.backend === 'auto' ? 'cpu' : g.backend });
      const { buildModel } = await import('../../models/index.ts');
      const { formatSummary, modelSummary } = await import('../../models/summary.ts');
      const m = await buildModel(name, {
        includeTop: Boolean(o.includeTop),
        inputShape: o.inputSize ? [o.inputSize, o.inputSize, 3] : undefined,
        pooling: o.pooling === 'none' ? null : (o.pooling as 'avg' | 'max' | undefined),
        weights: null,
        alpha: o.alpha,
        // Only shapes and counts are shown: zero-initialise instead of drawing 138M random numbers.
        fastInit: true,
      });
      const summary = modelSummary(m);
      m.dispose();
      emit(g, summary, () => formatSummary(summary));
    });
}
