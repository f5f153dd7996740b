import type { Command } from 'commander';
import { resolve } from 'node:path';
import { type ConfigLayer, baseInputSize, mergeConfig, readConfigFile, settingsGiven } from '../../config.ts';
import { loadFashionMnist } from '../../data/dataset.ts';
import { RECIPES, recipeSettings } from '../../recipes.ts';
import { RUN_FILES, TRAIN_ROOT, hasCheckpoint, latestUnfinished, newRunDir, readRunJson, runFile } from '../../train/run_folder.ts';
import { setPrecision } from '../../backend/select.ts';
import { lockFolder } from '../../util/folder_lock.ts';
import type { TrainResult } from '../../train/types.ts';
import { train } from '../../train/train.ts';
import { UserError } from '../../util/errors.ts';
import { interruptOnSignals } from '../../util/interrupt.ts';
import { formatDuration } from '../../util/progress.ts';
import { DB_HELP, type GlobalOptions, emit, globals, parse, say, useBackend } from '../context.ts';
import { openRecorder } from '../recorder.ts';

/** The options of every command that trains one run (train, transfer). */
export function trainOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'JSON file of training settings (flags override it)')
    .option('--epochs <n>', 'epochs', parse.int('--epochs', 1))
    .option('--batch-size <n>', 'images per step', parse.int('--batch-size', 1))
    .option('--lr <x>', 'peak learning rate', parse.num('--lr'))
    .option('--optimizer <name>', 'adam|sgd|rmsprop')
    .option('--schedule <name>', 'constant|cosine|step')
    .option('--weight-decay <x>', 'decoupled weight decay', parse.num('--weight-decay'))
    .option('--dropout <x>', 'dropout before the classifier', parse.num('--dropout'))
    .option('--label-smoothing <x>', 'label smoothing', parse.num('--label-smoothing'))
    .option('--augment-shift <px>', 'random shift in pixels (0 = off)', parse.int('--augment-shift', 0))
    .option('--no-augment-flip', 'no random horizontal flips')
    .option('--erasing <p>', 'random erasing: probability per image (0 = off)', parse.num('--erasing'))
    .option('--ema <decay>', 'exponential moving average of the weights, decay per step (0 = off)', parse.num('--ema'))
    .option('--val-split <x>', 'stratified validation fraction', parse.num('--val-split'))
    .option('--patience <n>', 'early stopping on validation loss (0 = off)', parse.int('--patience', 0))
    .option('--seed <n>', 'random seed', parse.int('--seed', 0))
    .option('--limit <n>', 'train on a stratified subset of n images', parse.int('--limit', 10))
    .option('--out <dir>', `run folder (default ${TRAIN_ROOT}/<model>-<time>)`)
    .option('--resume', 'continue the run in --out (default: the newest unfinished run)')
    .option('--db <file>', DB_HELP);
}

/** The config keys trainOptions' flags set (undefined: not given). */
function trainFlags(o: Record<string, unknown>, cmd: Command): Record<string, unknown> {
  const explicitFlip = cmd.getOptionValueSource('augmentFlip') === 'cli' ? o.augmentFlip : undefined;
  return {
    epochs: o.epochs, batchSize: o.batchSize, lr: o.lr, optimizer: o.optimizer, schedule: o.schedule,
    weightDecay: o.weightDecay, dropout: o.dropout, labelSmoothing: o.labelSmoothing, augmentShift: o.augmentShift,
    augmentFlip: explicitFlip, erasing: o.erasing, ema: o.ema, valSplit: o.valSplit, patience: o.patience, seed: o.seed, limit: o.limit,
  };
}

export function register(program: Command): void {
  trainOptions(program.command('train')
    .description('train a model with the default recipe (or --recipe, --config), checkpointing every epoch')
    .option('--recipe <name>', `a named preset: ${Object.keys(RECIPES).join(', ')} (--config and flags override it)`)
    .option('--model <name>', 'architecture (default lenet5)')
    .option('--normalize <kind>', 'unit|standard'))
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      await runTraining(o, cmd, { model: o.model, normalize: o.normalize });
    });
}

/**
 * A resumed run continues in the precision it was made with (run.json; runs from before
 * --precision existed were fp32), so its epochs all compute alike; asking for another is refused.
 */
async function keepRecordedPrecision(g: GlobalOptions, running: string, outDir: string): Promise<void> {
  const run = readRunJson(outDir);
  if (!run) return;
  const made = run.precision === 'bf16' ? 'bf16' : 'fp32';
  if (made === running) return;
  if (g.precisionGiven && g.precision !== 'auto') {
    throw new UserError(`${outDir}: the run was made in ${made}, not ${running}; resume it with --precision ${made} (or start a new run in another folder)`);
  }
  const info = await setPrecision(made);
  say(`resuming in ${info.precision} as the run was made (${info.precisionWhy})`);
}

/** Merge defaults ← --config ← flags, then train one run (new, or resumed with --resume) and print the result. */
export async function runTraining(o: Record<string, unknown>, cmd: Command, extra: Record<string, unknown>): Promise<void> {
  const g = globals(cmd);
  // defaults ← recipe ← --config file ← flags: the recipe's settings count as given (a resumed run must match them).
  const layers: ConfigLayer[] = [
    { origin: `recipe ${String(o.recipe)}`, settings: o.recipe ? recipeSettings(String(o.recipe)) : undefined },
    { origin: String(o.config), settings: o.config ? readConfigFile(String(o.config)) : undefined },
    { origin: 'flags', settings: { ...trainFlags(o, cmd), ...extra } },
  ];
  const config = mergeConfig(...layers);
  let chosen = o.out ? resolve(String(o.out)) : undefined;
  if (o.resume && !chosen) {
    chosen = latestUnfinished(TRAIN_ROOT);
    if (!chosen) throw new UserError(`--resume: no unfinished run under ${TRAIN_ROOT}; pass --out DIR`);
  }
  const outDir = chosen ?? newRunDir(config.base ? config.base.replace(/^.*[\\/]/, '').replace(/[^\w.-]+/g, '_') : config.model, TRAIN_ROOT);
  if (o.resume && !hasCheckpoint(outDir)) throw new UserError(`--resume: ${outDir} has no ${RUN_FILES.checkpoint}; start it without --resume`);

  // The folder's writer lock first, before the backend and the data: a second writer is refused at once.
  const lock = lockFolder(outDir, 'train');
  let result: TrainResult;
  try {
    const info = await useBackend(g);
    if (o.resume) await keepRecordedPrecision(g, info.precision, outDir);
    const data = loadFashionMnist({ dataDir: g.dataDir });
    const signal = interruptOnSignals(say);
    const recorder = await openRecorder(o.db as string | undefined, 'train');
    result = await train({
      // Resuming continues the run as it was made: what the file and flags set must agree with it, the rest comes from it.
      config, given: settingsGiven(...layers), outDir, resume: Boolean(o.resume), data, progress: !g.json, recorder, signal, lock,
      onStart: (run) => say(
        run.finished ? `${outDir} holds a finished run (${run.resumedAfter} epoch${run.resumedAfter === 1 ? "" : "s"}): nothing to resume, nothing changed`
          : `${run.resumedAfter !== undefined ? `resuming after epoch ${run.resumedAfter}` : 'training'} ${run.config.base ? `${run.config.base} (${run.config.mode}, ${baseInputSize(run.config)}x${baseInputSize(run.config)})` : run.config.model} → ${outDir}`,
      ),
    });
  } finally {
    lock.release();
  }
  emit(g, result, () => {
    const f = result.final;
    const per = result.epochs.map((e) => e.seconds);
    const mean = per.reduce((a, b) => a + b, 0) / Math.max(per.length, 1);
    return [
      `${result.alreadyFinished ? 'finished before' : 'done'}: ${result.epochs.length} epochs in ${formatDuration(result.seconds)} (${mean.toFixed(1)} s/epoch); kept epoch ${result.bestEpoch}` +
        (f.valAcc !== undefined ? `: val_acc ${(f.valAcc * 100).toFixed(2)}% val_loss ${f.valLoss!.toFixed(4)}` : ''),
      `model: ${runFile(outDir, 'model')}   evaluate it: fmnist evaluate ${outDir}`,
    ].join('\n');
  });
}
