import type { Command } from 'commander';
import { RELEASED } from '../../store/released.ts';
import { UserError, asUserError } from '../../util/errors.ts';
import { emit, globals, modelDir, parse, say, useBackend } from '../context.ts';

export interface Prediction {
  image: string;
  top?: { className: string; probability: number }[];
  error?: string;
}

export function register(program: Command): void {
  program.command('predict <inputs...>')
    .description('classify PNG/JPEG images (any size, colour or alpha) with a saved model')
    .option('--model <name>', `a released model (${Object.keys(RELEASED).join(', ')}): then every argument is an image; else the first is a run folder`)
    .option('--top <k>', 'how many classes to show', parse.int('--top', 1), 3)
    .action(async (inputs: string[], o: { model?: string; top: number }, cmd: Command) => {
      const [dir, images] = o.model ? [modelDir(undefined, o.model), inputs] : [modelDir(inputs[0]), inputs.slice(1)];
      if (!images.length) throw new UserError('predict: give the images to classify (after the run folder, or with --model NAME)');
      const g = globals(cmd);
      await useBackend(g, { inference: true });
      const { openClassifier } = await import('../../evaluate/classify.ts');
      const classifier = await openClassifier(dir);
      const results: Prediction[] = [];
      for (const image of images) {
        try {
          results.push({ image, top: await classifier.classify(image, o.top) });
        } catch (err) {
          // One clear line per bad file; the others are still predicted.
          const user = asUserError(err);
          if (!user) throw err;
          results.push({ image, error: user.message });
          if (!g.json) say(`fmnist: ${user.message}`);
        }
      }
      classifier.dispose();
      // Nothing predicted (every file bad): the error lines say it all, no empty result line.
      if (g.json || results.some((r) => r.top)) emit(g, results, () => results.filter((r) => r.top).map((r) => `${r.image}: ${r.top!.map((t) => `${t.className} ${(t.probability * 100).toFixed(1)}%`).join(', ')}`).join('\n'));
      // A bad image is a user error: exit 2, as every other command reports one.
      if (results.some((r) => r.error)) process.exitCode = 2;
    });
}
