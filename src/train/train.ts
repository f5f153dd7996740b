/**
 * The training loop, readable top to bottom:
 *
 *   data → stratified split → model + optimizer (or the checkpoint to resume) →
 *   for each epoch: its phase (transfer runs: head on cached features, then fine-tuning) →
 *   shuffle, for each batch: augment, step, weight decay, lr schedule →
 *   validate → checkpoint (atomic) → metrics.jsonl → early stopping / pruning →
 *   best weights → model.json + weights.bin, run.json, learning curves.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TrainConfig } from '../config.ts';
import { dataFingerprint, loadFashionMnist, type FashionMnist } from '../data/dataset.ts';
import { batchSlices, fillBatch, makeNormalization, modelInputShape, oneHot, toModelInput, type Normalization } from '../data/preprocess.ts';
import { CLASS_NAMES, IMAGE_SIZE, NUM_CLASSES } from '../data/source.ts';
import { stratifiedSplit, stratifiedSubset } from '../data/split.ts';
import { lossAndAccuracy, predictProbabilities } from '../models/predict.ts';
import { saveModel } from '../store/model_io.ts';
import { firstDifference } from '../util/diff.ts';
import { UserError } from '../util/errors.ts';
import { Interrupted } from '../util/interrupt.ts';
import { Progress, formatDuration } from '../util/progress.ts';
import { Rng } from '../util/rng.ts';
import { loadWeightsFrom, readCheckpoint, restoreCheckpoint, writeCheckpoint, type CheckpointState } from './checkpoint.ts';
import { bodyFeatures, featureBatch, type Features } from './features.ts';
import { buildNet, phaseAt, type Phase } from './net.ts';
import { WeightEma } from './ema.ts';
import { makeOptimizer } from './optimizer.ts';
import { trainStep } from './step.ts';
import { RUN_FILES, appendMetrics, finishedRun, runFile, runMeta, writeMetrics, writeRunJson } from './run_folder.ts';
import { lockFolder } from '../util/folder_lock.ts';
import { learningRate } from './schedule.ts';
import type { EpochMetrics, TrainOptions, TrainResult } from './types.ts';

const PIXELS = IMAGE_SIZE * IMAGE_SIZE;

/** The run's signal was aborted; it stopped at a batch boundary with its last checkpoint intact. */
export class TrainingInterrupted extends Interrupted {
  constructor(epoch: number, outDir: string) {
    super(`interrupted; the checkpoint of epoch ${epoch} in ${outDir} is intact: rerun with --resume to continue`);
  }
}

/** Which training images are trained on and which validate, by config (or the given split). */
export function chooseSplit(cfg: TrainConfig, labels: Uint8Array, given?: TrainOptions['split']): { train: Int32Array; val: Int32Array } {
  if (given) return given;
  const pool = cfg.limit ? stratifiedSubset(labels, cfg.limit, cfg.seed) : Int32Array.from({ length: labels.length }, (_, i) => i);
  if (cfg.valSplit === 0) return { train: pool, val: new Int32Array(0) };
  const poolLabels = Uint8Array.from(pool, (i) => labels[i]);
  const s = stratifiedSplit(poolLabels, cfg.valSplit, cfg.seed);
  return { train: s.train.map((i) => pool[i]), val: s.val.map((i) => pool[i]) };
}

/**
 * Train one run in `opts.outDir`, holding the folder's writer lock throughout (the caller's, when
 * it passes one, else taken here and released however the run ends): a second writer of the same
 * folder is refused at once.
 */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const outDir = resolve(opts.outDir);
  if (opts.lock && opts.lock.dir !== outDir) throw new Error(`train: the lock given is ${opts.lock.dir}'s, not ${outDir}'s`);
  const lock = opts.lock ?? lockFolder(outDir, 'train');
  try {
    return await trainLocked(opts, outDir);
  } finally {
    if (!opts.lock) lock.release();
  }
}

async function trainLocked(opts: TrainOptions, outDir: string): Promise<TrainResult> {
  const started = Date.now();
  mkdirSync(outDir, { recursive: true });
  // The one reader of the checkpoint being resumed (and of the config the run was made with).
  const previous = readCheckpoint(outDir);
  if (previous && !opts.resume) throw new UserError(`${outDir} already holds a run (${RUN_FILES.checkpoint}): pass --resume to continue it, or choose another --out`);
  const cfg = previous ? resumedConfig(outDir, previous.config, opts) : opts.config;
  // A finished run (done, stopped early or pruned) is left exactly as it is: no files, no store row.
  const finished = previous ? finishedRun(outDir, previous.config) : undefined;
  if (previous && finished) {
    opts.onStart?.({ outDir, config: cfg, resumedAfter: previous.epoch, finished: true });
    return {
      outDir, status: finished.status, epochs: previous.history, bestEpoch: finished.bestEpoch, final: finished.final,
      seconds: finished.seconds, alreadyFinished: true,
    };
  }
  opts.onStart?.({ outDir, config: cfg, resumedAfter: previous?.epoch });

  // ---- data
  const data: FashionMnist = opts.data ?? loadFashionMnist();
  const { images, labels } = data.train;
  const split = chooseSplit(cfg, labels, opts.split);
  const norm: Normalization = previous?.normalization ?? makeNormalization(cfg.normalize, images, split.train);

  // ---- model, optimizer, loop state
  const net = await buildNet(cfg);
  const model = net.model;
  const inShape = modelInputShape(model);
  let phase = phaseAt(net.phases, (previous?.epoch ?? 0) + 1);
  let trainee = net.enter(phase);
  let optimizer = makeOptimizer(cfg);
  // Validation and the saved model use the average when there is one (checkpoints carry it).
  const ema = cfg.ema > 0 ? new WeightEma(model, cfg.ema) : undefined;
  const dropouts = model.layers.filter((l) => l.getClassName() === 'Dropout') as unknown as { seed?: number }[];

  let state: Omit<CheckpointState, 'folder' | 'bestFolder'> = {
    epoch: 0, step: 0, rngState: new Rng(cfg.seed).state, history: [], bestEpoch: 0, bestValLoss: null, badEpochs: 0, config: cfg, normalization: norm,
  };
  let bestFolder: string | undefined;
  if (previous) {
    // The optimizer's slots belong to the phase of the last epoch done; a new phase starts afresh.
    const samePhase = phaseAt(net.phases, previous.epoch) === phase;
    await restoreCheckpoint(outDir, previous, model, samePhase ? optimizer : null, ema);
    state = previous;
    bestFolder = previous.bestFolder;
    // Rewrite the metrics log from the checkpoint: a kill may have landed between the two writes.
    writeMetrics(outDir, previous.history);
  } else {
    writeMetrics(outDir, []);
  }
  const meta = { ...runMeta(data), split: { train: split.train.length, val: split.val.length }, normalization: norm };
  opts.recorder?.start({ outDir, config: cfg, meta });
  writeRunJson(outDir, { status: 'running', config: cfg, meta, history: state.history, started });

  const rng = new Rng(0);
  rng.state = state.rngState;
  const stepsPerEpoch = Math.ceil(split.train.length / cfg.batchSize);
  const warmupSteps = Math.round(cfg.warmupEpochs * stepsPerEpoch);
  // Each phase runs its own schedule (warm-up, then decay) over its own steps.
  const rate = (p: Phase, step: number) => learningRate({ ...cfg, lr: p.lr }, step - (p.first - 1) * stepsPerEpoch, (p.last - p.first + 1) * stepsPerEpoch, warmupSteps);
  const xBuf = new Float32Array(cfg.batchSize * PIXELS);
  // Phases that train on the frozen body's features: computed (or read from the cache) once.
  let features: { f: Features; row: Int32Array } | undefined;
  const featuresFor = async (): Promise<{ f: Features; row: Int32Array }> => {
    if (features) return features;
    const pool = Int32Array.from([...split.train, ...split.val]);
    const f = await bodyFeatures(net.classifier!.body, images, pool, { dataKey: dataFingerprint(data), progress: opts.progress, signal: opts.signal });
    const row = new Int32Array(labels.length).fill(-1);
    pool.forEach((image, i) => { row[image] = i; });
    if (opts.progress) process.stderr.write(`features of ${pool.length} images ${f.cached ? 'read from the cache' : 'computed and cached'}: ${f.path}\n`);
    features = { f, row };
    return features;
  };
  let status: TrainResult['status'] = 'done';

  try {
    for (let epoch = state.epoch + 1; epoch <= cfg.epochs; epoch++) {
      const t0 = Date.now();
      if (phaseAt(net.phases, epoch) !== phase) {
        // Into the next phase: other variables train, so a fresh optimizer (Keras recompiles).
        phase = phaseAt(net.phases, epoch);
        trainee = net.enter(phase);
        optimizer.dispose();
        optimizer = makeOptimizer(cfg);
      }
      const feats = phase.features ? await featuresFor() : undefined;
      const order = rng.shuffle(Int32Array.from(split.train));
      const bar = opts.progress ? new Progress({ total: order.length, unit: 'img', label: `epoch ${epoch}/${cfg.epochs}`, plainIntervalMs: 15_000 }) : undefined;
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let lr = rate(phase, state.step);
      for (const idx of batchSlices(order, cfg.batchSize)) {
        // Let signal handlers run: on wasm/native every await below resolves as a microtask,
        // which would otherwise keep Ctrl-C waiting until the run ends.
        await new Promise((r) => setImmediate(r));
        if (opts.signal?.aborted) throw new TrainingInterrupted(state.epoch, outDir);
        lr = rate(phase, state.step);
        // A fresh, reproducible dropout mask per step (a fixed seed would repeat one mask).
        for (const d of dropouts) d.seed = rng.fork();
        // Features are of the images as they are (no augmentation can reach a cached feature).
        if (!feats) fillBatch(images, idx, xBuf, norm, { rng, shift: cfg.augmentShift, flip: cfg.augmentFlip, erasing: cfg.erasing });
        const n = idx.length;
        const { loss: batchLoss, correct: batchCorrect } = tf.tidy(() => {
          // 28x28 images fitted to the model's input (transfer bases: resized) by the one function evaluation uses too.
          const x = feats ? featureBatch(feats.f, Array.from(idx, (i) => feats.row[i])) : toModelInput(inShape, tf.tensor4d(xBuf.subarray(0, n * PIXELS), [n, IMAGE_SIZE, IMAGE_SIZE, 1]));
          const y = oneHot(labels, idx, NUM_CLASSES);
          const r = trainStep(trainee, optimizer, x, y, { lr, labelSmoothing: cfg.labelSmoothing, weightDecay: cfg.weightDecay });
          return r;
        });
        const lossValue = (await batchLoss.data())[0];
        correct += (await batchCorrect.data())[0];
        tf.dispose([batchLoss, batchCorrect]);
        if (!Number.isFinite(lossValue)) {
          throw new UserError(`training diverged at epoch ${epoch}, step ${state.step + 1} (loss ${lossValue}): lower --lr; the last good checkpoint (epoch ${state.epoch}) in ${outDir} is kept`);
        }
        ema?.update(state.step);
        lossSum += lossValue * n;
        seen += n;
        state.step++;
        bar?.tick(n, `loss ${(lossSum / seen).toFixed(4)} acc ${(correct / seen).toFixed(4)}`);
      }

      // ---- validate (dropout off, no augmentation)
      const m: EpochMetrics = {
        epoch, loss: lossSum / seen, acc: correct / seen, lr,
        seconds: (Date.now() - t0) / 1000, imagesPerSecond: 0,
      };
      m.imagesPerSecond = seen / m.seconds;
      if (split.val.length > 0) {
        const validate = () => (feats ? headProbabilities(net.classifier!.head, feats.f, Array.from(split.val, (i) => feats.row[i])) : predictProbabilities(model, images, split.val, norm));
        const probs = ema ? await ema.applied(model, validate) : validate();
        const v = lossAndAccuracy(probs, labels, split.val);
        m.valLoss = v.loss;
        m.valAcc = v.acc;
      }
      // keepBest false (CV): the held-out fold must not choose the epoch, so the last one is kept
      // and early stopping never triggers.
      const improved = opts.keepBest === false || m.valLoss === undefined || state.bestValLoss === null || m.valLoss < state.bestValLoss;
      state.history.push(m);
      state.epoch = epoch;
      state.rngState = rng.state;
      if (improved) {
        state.bestEpoch = epoch;
        state.bestValLoss = m.valLoss ?? null;
        state.badEpochs = 0;
      } else {
        state.badEpochs++;
      }
      const saved = await writeCheckpoint(outDir, model, optimizer, state, ema);
      bestFolder = saved.bestFolder;
      appendMetrics(outDir, m);
      opts.recorder?.epoch(m);
      bar?.finish(
        `loss ${m.loss.toFixed(4)} acc ${m.acc.toFixed(4)}` +
          (m.valAcc !== undefined ? ` val_loss ${m.valLoss!.toFixed(4)} val_acc ${m.valAcc.toFixed(4)}` : '') +
          ` lr ${lr.toExponential(2)} ${formatDuration(m.seconds)}`,
      );
      writeRunJson(outDir, { status: 'running', config: cfg, meta, history: state.history, started });

      if (opts.onEpoch?.(m) === 'stop') { status = 'pruned'; break; }
      if (cfg.patience > 0 && state.badEpochs >= cfg.patience) { status = 'stopped-early'; break; }
    }

    // ---- the kept model: best validation loss (or last epoch when there is no validation)
    if (bestFolder && state.bestEpoch !== state.epoch) await loadWeightsFrom(join(outDir, bestFolder), model, ema);
    else if (ema) model.setWeights(ema.values());
    await saveModel(model, outDir, {
      classNames: CLASS_NAMES,
      inputScale: cfg.normalize === 'unit' ? 'unit' : 'standard',
      normalization: norm,
      config: cfg,
      bestEpoch: state.bestEpoch,
    });
    const best = state.history.find((h) => h.epoch === state.bestEpoch) ?? state.history[state.history.length - 1];
    const result: TrainResult = {
      outDir, status, epochs: state.history, bestEpoch: state.bestEpoch,
      final: { valLoss: best?.valLoss, valAcc: best?.valAcc, trainLoss: best?.loss ?? NaN, trainAcc: best?.acc ?? NaN },
      seconds: (Date.now() - started) / 1000,
    };
    writeRunJson(outDir, { status: 'done', config: cfg, meta, history: state.history, started, result });
    await writeLearningCurves(outDir, state.history);
    opts.recorder?.finish(status === 'pruned' ? 'pruned' : 'done', {
      metrics: Object.fromEntries(Object.entries(result.final).filter(([, v]) => v !== undefined)) as Record<string, number>,
      artifacts: { model: runFile(outDir, 'model'), run: runFile(outDir, 'run') },
    });
    return result;
  } catch (err) {
    const interrupted = err instanceof TrainingInterrupted;
    writeRunJson(outDir, { status: interrupted ? 'interrupted' : 'failed', config: cfg, meta, history: state.history, started, error: (err as Error).message });
    opts.recorder?.finish(interrupted ? 'interrupted' : 'failed', { error: (err as Error).message });
    throw err;
  } finally {
    // The trainee's `net` shares every layer with `model`, so disposing the model frees both.
    model.dispose();
    optimizer.dispose();
    ema?.dispose();
  }
}

/**
 * The config a resumed run continues with: the one it was made with. The caller's settings must
 * agree with it — all of them, or with `given` only those (the rest then come from the run).
 */
function resumedConfig(outDir: string, made: TrainConfig, opts: TrainOptions): TrainConfig {
  const wanted: Record<string, unknown> = { ...made };
  for (const k of opts.given ?? (Object.keys(opts.config) as (keyof TrainConfig)[])) wanted[k] = opts.config[k];
  if (wanted.epochs !== made.epochs) {
    // Refused rather than extended (or cut): the learning-rate schedule (warm-up, then decay to its
    // floor at the last epoch), early stopping and the kept epoch were all fixed by the epoch count
    // the run was made with, so the result would be neither that run nor one made with the new count.
    const more = (wanted.epochs as number) > made.epochs;
    throw new UserError(`${outDir}: the run was made for ${made.epochs} epochs, not ${String(wanted.epochs)}; ${more ? 'extending' : 'shortening'} a run is refused because its ${made.schedule} learning-rate schedule was laid out over ${made.epochs} epochs (a continued run would equal no ${String(wanted.epochs)}-epoch run): start a new run with --epochs ${String(wanted.epochs)} in another folder`);
  }
  const diff = firstDifference(made, wanted);
  if (diff) {
    const show = (v: unknown) => (v === undefined ? 'unset' : JSON.stringify(v));
    const key = diff as keyof TrainConfig;
    throw new UserError(`${outDir}: the run was made with ${diff} ${show(made[key])}, not ${show(wanted[key])}; resume it with its own settings (see ${runFile(outDir, 'run')}) or start a new run in another folder`);
  }
  return made;
}

/** Class probabilities of the head on feature rows `pos`, in batches. */
function headProbabilities(head: tf.LayersModel, f: Features, pos: number[], batchSize = 1000): Float32Array {
  const out = new Float32Array(pos.length * NUM_CLASSES);
  for (let i = 0; i < pos.length; i += batchSize) {
    const p = tf.tidy(() => tf.softmax(head.predict(featureBatch(f, pos.slice(i, i + batchSize))) as tf.Tensor2D));
    out.set(p.dataSync() as Float32Array, i * NUM_CLASSES);
    p.dispose();
  }
  return out;
}

async function writeLearningCurves(outDir: string, history: EpochMetrics[]): Promise<void> {
  if (!history.length || !existsSync(outDir)) return;
  const { writeLearningCurves: write } = await import('../draw/learning_curves.ts');
  await write(outDir, history);
}
