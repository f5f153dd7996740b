import type { Command } from 'commander';
import { baseInputSize } from '../../config.ts';
import { RECIPES } from '../../recipes.ts';
import { TRAIN_ROOT, runFile } from '../../train/run_files.ts';
import { UserError } from '../../util/errors.ts';
import { interruptOnSignals } from '../../util/interrupt.ts';
import { formatDuration } from '../../util/progress.ts';
import { DB_HELP, type GlobalOptions, emit, globals, parse, say, useBackend } from '../context.ts';

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
  const { readRunJson } = await import('../../train/run_folder.ts');
  const run = readRunJson(outDir);
  if (!run) return;
  const made = run.precision === 'bf16' ? 'bf16' : 'fp32';
  if (made === running) return;
  if (g.precisionGiven && g.precision !== 'auto') {
    throw new UserError(`${outDir}: the run was made in ${made}, not ${running}; resume it with --precision ${made} (or start a new run in another folder)`);
  }
  const { setPrecision } = await import('../../backend/select.ts');
  const info = await setPrecision(made);
  say(`resuming in ${info.precision} as the run was made (${info.precisionWhy})`);
}

/** Merge defaults ← recipe ← --config ← flags, then train one run (new, or resumed with --resume) and print the result. */
export async function runTraining(o: Record<string, unknown>, cmd: Command, extra: Record<string, unknown>): Promise<void> {
  const g = globals(cmd);
  const info = await useBackend(g);
  const { trainRun } = await import('../../train/run.ts');
  const result = await trainRun({
    recipe: o.recipe as string | undefined,
    configFile: o.config as string | undefined,
    settings: { ...trainFlags(o, cmd), ...extra },
    settingsOrigin: 'flags',
    outDir: o.out as string | undefined,
    resume: Boolean(o.resume),
    dataDir: g.dataDir,
    db: o.db as string | undefined,
    progress: !g.json,
    signal: interruptOnSignals(say),
    beforeData: async (outDir) => { if (o.resume) await keepRecordedPrecision(g, info.precision, outDir); },
    onStart: (run) => say(
      run.finished ? `${run.outDir} holds a finished run (${run.resumedAfter} epoch${run.resumedAfter === 1 ? '' : 's'}): nothing to resume, nothing changed`
        : `${run.resumedAfter !== undefined ? `resuming after epoch ${run.resumedAfter}` : 'training'} ${run.config.base ? `${run.config.base} (${run.config.mode}, ${baseInputSize(run.config)}x${baseInputSize(run.config)})` : run.config.model} → ${run.outDir}`,
    ),
  });
  const outDir = result.outDir;
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
