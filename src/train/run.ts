/**
 * One training run as the CLI and the library API start it: settings merged (defaults ← recipe ←
 * config file ← explicit settings), the run folder chosen and locked against a second writer, the
 * data loaded, the run recorded in the run store, then train(). Resuming continues the run in
 * outDir as it was made.
 */
import { resolve } from 'node:path';
import { type ConfigLayer, mergeConfig, readConfigFile, settingsGiven } from '../config.ts';
import { type FashionMnist, loadFashionMnist } from '../data/dataset.ts';
import { recipeSettings } from '../recipes.ts';
import { RunStore, defaultDbPath } from '../store/run_store.ts';
import { UserError } from '../util/errors.ts';
import { lockFolder } from '../util/folder_lock.ts';
import { RUN_FILES, TRAIN_ROOT, hasCheckpoint, latestUnfinished, newRunDir } from './run_folder.ts';
import { train } from './train.ts';
import type { RunRecorder, TrainResult } from './types.ts';

/** What trainRun needs; everything but settings is optional. */
export interface TrainRunOptions {
  /** A named recipe (see RECIPES): its settings come first, then configFile, then settings. */
  recipe?: string;
  /** A JSON file of training settings. */
  configFile?: string;
  /** Training settings (the keys of TrainConfig: model, epochs, lr, base, mode, …); undefined values are ignored. */
  settings?: Record<string, unknown>;
  /** What to call `settings` in error messages (the CLI: 'flags'). */
  settingsOrigin?: string;
  /** The run folder (default runs/train/<model>-<time>). */
  outDir?: string;
  /** Continue the unfinished run in outDir (default: the newest unfinished run under runs/train). */
  resume?: boolean;
  /** The data (default: loadFashionMnist({ dataDir })). */
  data?: FashionMnist;
  dataDir?: string;
  /** The run store to record the run in: a file path (default runs/fmnist.db), or false for none. */
  db?: string | false;
  /** Progress bars on stderr. */
  progress?: boolean;
  /** Stops after the current batch, keeping a resumable checkpoint. */
  signal?: AbortSignal;
  /** Called once the folder is locked and the run's settings are known. */
  onStart?: Parameters<typeof train>[0]['onStart'];
  /** Called before the data is loaded, with the run folder (e.g. to check a resumed run's precision). */
  beforeData?: (outDir: string) => Promise<void>;
}

/** The merge layers, in order: defaults ← recipe ← configFile ← settings (each blamed for its own bad values). */
function layersOf(o: TrainRunOptions): ConfigLayer[] {
  return [
    { origin: `recipe ${o.recipe}`, settings: o.recipe ? recipeSettings(o.recipe) : undefined },
    { origin: String(o.configFile), settings: o.configFile ? readConfigFile(o.configFile) : undefined },
    { origin: o.settingsOrigin ?? 'settings', settings: o.settings },
  ];
}

/** The folder a run writes to: outDir, the newest unfinished run when resuming without one, or a new one. */
function runFolder(o: TrainRunOptions, model: string, base: string | undefined): string {
  let chosen = o.outDir ? resolve(o.outDir) : undefined;
  if (o.resume && !chosen) {
    chosen = latestUnfinished(TRAIN_ROOT);
    if (!chosen) throw new UserError(`--resume: no unfinished run under ${TRAIN_ROOT}; pass --out DIR`);
  }
  const outDir = chosen ?? newRunDir(base ? base.replace(/^.*[\\/]/, '').replace(/[^\w.-]+/g, '_') : model, TRAIN_ROOT);
  if (o.resume && !hasCheckpoint(outDir)) {
    throw new UserError(`--resume: ${outDir} has no ${RUN_FILES.checkpoint}; start it without --resume`);
  }
  return outDir;
}

/** Train one run (new, or resumed) on the current backend; see TrainRunOptions. */
export async function trainRun(o: TrainRunOptions = {}): Promise<TrainResult> {
  const layers = layersOf(o);
  const config = mergeConfig(...layers);
  const outDir = runFolder(o, config.model, config.base ?? undefined);
  // The folder's writer lock first, before the data: a second writer is refused at once.
  const lock = lockFolder(outDir, 'train');
  let store: RunStore | undefined;
  try {
    await o.beforeData?.(outDir);
    const data = o.data ?? loadFashionMnist({ dataDir: o.dataDir });
    let recorder: RunRecorder | undefined;
    if (o.db !== false) {
      store = RunStore.open(o.db ?? defaultDbPath());
      recorder = store.recorder({ kind: 'train' });
    }
    return await train({
      config, given: settingsGiven(...layers), outDir, resume: Boolean(o.resume), data, progress: o.progress ?? false,
      recorder, signal: o.signal, lock, onStart: o.onStart,
    });
  } finally {
    store?.close();
    lock.release();
  }
}
