import type { Command } from 'commander';
import { resolve } from 'node:path';
import { MODEL_NAMES } from '../../config.ts';
import { UserError } from '../../util/errors.ts';
import { interruptOnSignals } from '../../util/interrupt.ts';
import { emit, globals, parse, say, useBackend } from '../context.ts';
import { openRecorder } from '../recorder.ts';
import { runTraining, trainOptions } from './train.ts';

/**
 * 'imagenet' (the default for registry bases, except from scratch) and 'none' are names; anything
 * else is a file, saved in the config as an absolute path. nsfwjs and file bases carry their own.
 */
function weightsFlag(v: unknown, mode: unknown, base: string): string | null | undefined {
  const registry = MODEL_NAMES.includes(base);
  if (v !== undefined && !registry) throw new UserError(`--weights applies to registry bases (vgg16, resnet152v2, efficientnetb1, mobilenet, …); ${base} brings its own weights`);
  if (v === undefined) return mode === 'scratch' || !registry ? undefined : 'imagenet';
  const s = String(v);
  if (s === 'none') return null;
  return s === 'imagenet' ? s : resolve(s);
}

export function register(program: Command): void {
  trainOptions(program.command('transfer')
    .description('transfer learning: a new head on a pretrained base (features, finetune) or the base from scratch; a normal run folder, image → class')
    .option('--base <name>', 'vgg16, resnet152v2, efficientnetb1, mobilenet, mobilenet_0.25, …, nsfwjs:mobilenet_v2, nsfwjs:inception_v3, or a tfjs model.json / Keras .h5 model file')
    .option('--weights <w>', 'imagenet (default), none, or a Keras weights file (registry bases)')
    .option('--mode <mode>', 'features (default): head on cached frozen features | finetune: head, then the top of the base at --finetune-lr | scratch: all from random weights')
    .option('--input-size <px>', 'square input size of the base, ≥ 32 (default 32; images are resized bilinearly inside the model)', parse.int('--input-size', 32))
    .option('--cut <layer>', 'take the base up to this layer (default: below its classifier)')
    .option('--unfreeze <layer>', 'finetune: train the base from the first layer named so on (default: the whole base)')
    .option('--head-epochs <n>', 'finetune: epochs of the head alone first (default 2)', parse.int('--head-epochs', 0))
    .option('--finetune-lr <x>', 'finetune: peak learning rate once the base trains (default 1e-4)', parse.num('--finetune-lr'))
    .option('--preprocess <mode>', 'auto (as the weights were trained) | caffe | tf | torch | none | unit | raw')
    .option('--base-training', 'run the base\'s BatchNorm in training mode (the mistake the ablation measures)')
    .option('--ablation', 'the published study\'s likely mistakes one at a time against the right setup, on the pretrained bases available offline (or --base): a table in --out (default runs/ablation)'))
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      if (o.ablation) return ablation(o, cmd);
      if (o.base === undefined) throw new UserError('transfer: give --base NAME (e.g. --base mobilenet --weights imagenet), or --ablation');
      if (o.mode !== undefined && !['features', 'finetune', 'scratch'].includes(String(o.mode))) throw new UserError(`--mode must be features, finetune or scratch, got '${String(o.mode)}'`);
      await runTraining(o, cmd, {
        base: o.base, weights: weightsFlag(o.weights, o.mode, String(o.base)), mode: o.mode, inputSize: o.inputSize, cut: o.cut, unfreeze: o.unfreeze,
        headEpochs: o.headEpochs, finetuneLr: o.finetuneLr, preprocess: o.preprocess, baseTraining: o.baseTraining,
      });
    });
}

async function ablation(o: Record<string, unknown>, cmd: Command): Promise<void> {
  const g = globals(cmd);
  const { ablationBases, runAblation, ablationTable } = await import('../../transfer/ablation.ts');
  let bases = await ablationBases();
  if (o.base !== undefined) {
    bases = bases.filter((b) => b.base === o.base);
    if (!bases.length) throw new UserError(`--ablation --base ${String(o.base)}: not a pretrained base available offline here (mobilenet, nsfwjs:mobilenet_v2, or a seed backbone whose ImageNet weights are in Keras' cache)`);
  }
  const overrides = Object.fromEntries(Object.entries({
    epochs: o.epochs, batchSize: o.batchSize, limit: o.limit, seed: o.seed, headEpochs: o.headEpochs, lr: o.lr, valSplit: o.valSplit,
  }).filter(([, v]) => v !== undefined));
  const outDir = resolve(String(o.out ?? 'runs/ablation'));
  await useBackend(g);
  const { loadFashionMnist } = await import('../../data/dataset.ts');
  const data = loadFashionMnist({ dataDir: g.dataDir });
  const signal = interruptOnSignals(say);
  const rows = await runAblation({
    outDir, bases, data, overrides, progress: !g.json, signal,
    recorder: () => openRecorder(o.db as string | undefined, 'train'),
    onRow: (r) => say(`${r.label}, ${r.setup}: test accuracy ${(r.testAcc * 100).toFixed(2)}%${r.chance ? ' (chance level)' : ''}`),
  });
  emit(g, { outDir, rows }, () => `${ablationTable(rows)}\ntable: ${outDir}/ablation.md`);
}
