/**
 * Checkpoints that survive a kill at any moment.
 *
 * Each completed epoch's state goes into a fresh folder `ckpt-EEEE/` (model weights, optimizer
 * slots); then `checkpoint.json`, which names that folder and holds the loop state (epoch, step,
 * RNG state, history, best epoch, the config the run was made with), is replaced atomically.
 * Whatever instant a kill lands, checkpoint.json names a complete folder. Old folders other than
 * the latest and the best are removed afterwards.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import { loadModel, readWeightFile, saveModel } from '../store/model_io.ts';
import { isFoldOf } from '../keras/portable.ts';
import type { TrainConfig } from '../config.ts';
import type { Normalization } from '../data/preprocess.ts';
import { runFile } from './run_folder.ts';
import type { TrainOptimizer } from './optimizer.ts';
import type { WeightEma } from './ema.ts';
import type { EpochMetrics } from './types.ts';

export interface CheckpointState {
  /** Completed epochs. */
  epoch: number;
  /** Optimisation steps taken. */
  step: number;
  rngState: number;
  history: EpochMetrics[];
  bestEpoch: number;
  bestValLoss: number | null;
  /** Epochs since validation loss last improved (early stopping). */
  badEpochs: number;
  config: TrainConfig;
  normalization: Normalization;
  folder: string;
  bestFolder: string;
}

const folderName = (epoch: number) => `ckpt-${String(epoch).padStart(4, '0')}`;

export async function writeCheckpoint(outDir: string, model: tf.LayersModel, optimizer: TrainOptimizer, state: Omit<CheckpointState, 'folder' | 'bestFolder'>, ema?: WeightEma): Promise<CheckpointState> {
  const folder = folderName(state.epoch);
  const dir = join(outDir, folder);
  await saveModel(model, dir);
  await ema?.save(dir);
  const named = await optimizer.getWeights();
  const { data, specs } = await tf.io.encodeWeights(named);
  // getWeights() makes a fresh 'iter' scalar each call (the rest are the optimizer's own slots).
  named.filter((w) => w.name === 'iter').forEach((w) => w.tensor.dispose());
  writeFileAtomic(join(dir, 'optimizer.bin'), new Uint8Array(data as ArrayBuffer));
  writeJsonAtomic(join(dir, 'optimizer.json'), specs);
  const full: CheckpointState = { ...state, folder, bestFolder: folderName(state.bestEpoch) };
  writeJsonAtomic(runFile(outDir, 'checkpoint'), full);
  // Only now is it safe to drop folders that no pointer can name any more.
  for (const name of readdirSync(outDir)) {
    if (/^ckpt-\d{4}$/.test(name) && name !== full.folder && name !== full.bestFolder) rmSync(join(outDir, name), { recursive: true, force: true });
  }
  return full;
}

export function readCheckpoint(outDir: string): CheckpointState | undefined {
  const path = runFile(outDir, 'checkpoint');
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as CheckpointState;
  } catch (err) {
    throw new UserError(`${path}: unreadable checkpoint (${(err as Error).message}); start a new run in another folder`);
  }
}

/** Copy the checkpoint's weights into `model`, its slots into `optimizer` (null: not them) and its average into `ema`. */
export async function restoreCheckpoint(outDir: string, state: CheckpointState, model: tf.LayersModel, optimizer: TrainOptimizer | null, ema?: WeightEma): Promise<void> {
  const dir = join(outDir, state.folder);
  await loadWeightsFrom(dir, model);
  ema?.load(dir);
  if (!optimizer) return;
  const specs = JSON.parse(readFileSync(join(dir, 'optimizer.json'), 'utf8')) as tf.io.WeightsManifestEntry[];
  const map = readWeightFile(join(dir, 'optimizer.bin'), specs, 'optimizer.json');
  // Order matters: optimizers match slots to variables by position, and specs keep the saved order.
  await optimizer.setWeights(specs.map((s) => ({ name: s.name, tensor: map[s.name] })));
}

/**
 * Set `model`'s weights from a saved model folder with the same architecture (its averaged ones
 * when `ema` is given), layer by layer by name: a model's flat weight list puts trainable weights
 * first, so its order changes whenever layers are frozen or unfrozen (transfer phases), while
 * each layer's own order does not. (EMA runs never change trainability: see config.ts.)
 */
export async function loadWeightsFrom(dir: string, model: tf.LayersModel, ema?: WeightEma): Promise<void> {
  if (ema) {
    ema.load(dir);
    model.setWeights(ema.values());
    return;
  }
  const saved = await loadModel(dir);
  for (const layer of model.layers) {
    if (!layer.weights.length) continue;
    const from = saved.getLayer(layer.name);
    // Fixed preprocessing is saved folded into a layer tfjs has (keras/portable.ts): nothing to restore.
    if (!isFoldOf(layer, from)) layer.setWeights(from.getWeights());
  }
  saved.dispose();
}
