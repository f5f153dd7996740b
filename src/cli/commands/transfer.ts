import type { Command } from 'commander';
import { resolve } from 'node:path';
import { MODEL_NAMES } from '../../config.ts';
import { UserError } from '../../util/errors.ts';
import { parse } from '../context.ts';
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
    .requiredOption('--base <name>', 'vgg16, resnet152v2, efficientnetb1, mobilenet, mobilenet_0.25, …, nsfwjs:mobilenet_v2, nsfwjs:inception_v3, or a tfjs model.json / Keras .h5 model file')
    .option('--weights <w>', 'imagenet (default), none, or a Keras weights file (registry bases)')
    .option('--mode <mode>', 'features (default): head on cached frozen features | finetune: head, then the top of the base at --finetune-lr | scratch: all from random weights')
    .option('--input-size <px>', 'square input size of the base, ≥ 32 (default 32; images are resized bilinearly inside the model)', parse.int('--input-size', 32))
    .option('--cut <layer>', 'take the base up to this layer (default: below its classifier)')
    .option('--unfreeze <layer>', 'finetune: train the base from the first layer named so on (default: the whole base)')
    .option('--head-epochs <n>', 'finetune: epochs of the head alone first (default 2)', parse.int('--head-epochs', 0))
    .option('--finetune-lr <x>', 'finetune: peak learning rate once the base trains (default 1e-4)', parse.num('--finetune-lr'))
    .option('--preprocess <mode>', 'auto (as the weights were trained) | caffe | tf | torch | none | unit | raw')
    .option('--base-training', 'run the base\'s BatchNorm in training mode (the mistake the ablation measures)'))
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      if (o.mode !== undefined && !['features', 'finetune', 'scratch'].includes(String(o.mode))) throw new UserError(`--mode must be features, finetune or scratch, got '${String(o.mode)}'`);
      await runTraining(o, cmd, {
        base: o.base, weights: weightsFlag(o.weights, o.mode, String(o.base)), mode: o.mode, inputSize: o.inputSize, cut: o.cut, unfreeze: o.unfreeze,
        headEpochs: o.headEpochs, finetuneLr: o.finetuneLr, preprocess: o.preprocess, baseTraining: o.baseTraining,
      });
    });
}
