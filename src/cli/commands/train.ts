import type { Command } from 'commander';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mergeConfig, readConfigFile } from '../../config.ts';
import { loadFashionMnist } from '../../data/dataset.ts';
import { CHECKPOINT_FILE, readCheckpoint } from '../../train/checkpoint.ts';
import { interruption, train } from '../../train/train.ts';
import { UserError } from '../../util/errors.ts';
import { formatDuration } from '../../util/progress.ts';
import { emit, globals, parse, say, useBackend } from '../context.ts';
import { openRecorder } from '../recorder.ts';

export const TRAIN_ROOT = 'runs/train';

/** The newest run folder under runs/train that has a checkpoint but no finished model. */
function latestUnfinished(): string | undefined {
  if (!existsSync(TRAIN_ROOT)) return undefined;
  return readdirSync(TRAIN_ROOT)
    .map((n) => join(TRAIN_ROOT, n))
    .filter((d) => existsSync(join(d, CHECKPOINT_FILE)) && !isDone(d))
    .sort((a, b) => statSync(join(b, CHECKPOINT_FILE)).mtimeMs - statSync(join(a, CHECKPOINT_FILE)).mtimeMs)[0];
}

function isDone(dir: string): boolean {
  const ck = readCheckpoint(dir);
  return !!ck && ck.epoch >= ck.config.epochs && existsSync(join(dir, 'model.json'));
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** Stop at the next batch on the first Ctrl-C/SIGTERM (the checkpoint stays intact); exit on the second. */
export function installInterruptHandlers(): void {
  const handler = () => {
    if (interruption.requested) process.exit(130);
    interruption.requested = true;
    say('stopping after this batch (again to quit at once)…');
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

export function register(program: Command): void {
  program.command('train')
    .description('train a model with the default recipe (or --config), checkpointing every epoch')
    .option('--config <file>', 'JSON file of training settings (flags override it)')
    .option('--model <name>', 'architecture (default lenet5)')
    .option('--epochs <n>', 'epochs', parse.int('--epochs', 1))
    .option('--batch-size <n>', 'images per step', parse.int('--batch-size', 1))
    .option('--lr <x>', 'peak learning rate', parse.num('--lr'))
    .option('--optimizer <name>', 'adam|sgd|rmsprop')
    .option('--schedule <name>', 'constant|cosine|step')
    .option('--weight-decay <x>', 'decoupled weight decay', parse.num('--weight-decay'))
    .option('--dropout <x>', 'dropout before hidden dense layers', parse.num('--dropout'))
    .option('--label-smoothing <x>', 'label smoothing', parse.num('--label-smoothing'))
    .option('--augment-shift <px>', 'random shift in pixels (0 = off)', parse.int('--augment-shift', 0))
    .option('--no-augment-flip', 'no random horizontal flips')
    .option('--normalize <kind>', 'unit|standard')
    .option('--val-split <x>', 'stratified validation fraction', parse.num('--val-split'))
    .option('--patience <n>', 'early stopping on validation loss (0 = off)', parse.int('--patience', 0))
    .option('--seed <n>', 'random seed', parse.int('--seed', 0))
    .option('--limit <n>', 'train on a stratified subset of n images', parse.int('--limit', 10))
    .option('--out <dir>', `run folder (default ${TRAIN_ROOT}/<model>-<time>)`)
    .option('--resume', 'continue the run in --out (default: the newest unfinished run)')
    .option('--db <file>', 'run store (default runs/fmnist.db)')
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd);
      const file = o.config ? readConfigFile(String(o.config)) : undefined;
      const explicitFlip = cmd.getOptionValueSource('augmentFlip') === 'cli' ? o.augmentFlip : undefined;
      const config = mergeConfig(file, {
        model: o.model, epochs: o.epochs, batchSize: o.batchSize, lr: o.lr, optimizer: o.optimizer, schedule: o.schedule,
        weightDecay: o.weightDecay, dropout: o.dropout, labelSmoothing: o.labelSmoothing, augmentShift: o.augmentShift,
        augmentFlip: explicitFlip, normalize: o.normalize, valSplit: o.valSplit, patience: o.patience, seed: o.seed, limit: o.limit,
      }, o.config ? String(o.config) : 'flags');
      let outDir = o.out ? resolve(String(o.out)) : undefined;
      if (o.resume && !outDir) {
        outDir = latestUnfinished();
        if (!outDir) throw new UserError(`--resume: no unfinished run under ${TRAIN_ROOT}; pass --out DIR`);
      }
      outDir ??= resolve(TRAIN_ROOT, `${config.model}-${stamp()}`);
      const resumeState = o.resume ? readCheckpoint(outDir) : undefined;
      if (o.resume && !resumeState) throw new UserError(`--resume: ${outDir} has no ${CHECKPOINT_FILE}; start it without --resume`);

      await useBackend(g);
      const data = loadFashionMnist({ dataDir: g.dataDir });
      // Resuming keeps the config the run was made with, whatever the flags say now.
      const effective = resumeState?.config ?? config;
      say(`${resumeState ? `resuming after epoch ${resumeState.epoch}` : 'training'} ${effective.model} → ${outDir}`);
      installInterruptHandlers();
      const recorder = await openRecorder(o.db as string | undefined, 'train');
      const result = await train({ config: effective, outDir, resume: Boolean(o.resume), data, progress: !g.json, recorder });
      emit(g, result, () => {
        const f = result.final;
        const per = result.epochs.map((e) => e.seconds);
        const mean = per.reduce((a, b) => a + b, 0) / Math.max(per.length, 1);
        return [
          `done: ${result.epochs.length} epochs in ${formatDuration(result.seconds)} (${mean.toFixed(1)} s/epoch); kept epoch ${result.bestEpoch}` +
            (f.valAcc !== undefined ? `: val_acc ${(f.valAcc * 100).toFixed(2)}% val_loss ${f.valLoss!.toFixed(4)}` : ''),
          `model: ${join(outDir!, 'model.json')}   evaluate it: fmnist evaluate ${outDir}`,
        ].join('\n');
      });
    });
}
