/**
 * For the web tests: a real LeNet-5 trained for seconds (600 images, 2 epochs) into a temporary
 * folder and recorded in a temporary run store, as `fmnist train` records it; more runs of any
 * model trained into the same store on demand.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../backend/select.ts';
import { parseTrainConfig, type TrainConfigInput } from '../config.ts';
import { loadFashionMnist, type FashionMnist } from '../data/dataset.ts';
import { RunStore } from '../store/run_store.ts';
import { train } from '../train/train.ts';
import { TUNE_FILE } from '../tune/tune.ts';

export interface TinyRun {
  work: string;
  db: string;
  runId: number;
  runDir: string;
  data: FashionMnist;
}

export async function tinyRun(prefix: string): Promise<TinyRun> {
  await initBackend('wasm');
  const data = loadFashionMnist();
  const work = mkdtempSync(join(tmpdir(), prefix));
  const db = join(work, 'runs.db');
  const first = await trainRun({ work, db, data }, 'tiny', { limit: 600, epochs: 2, batchSize: 32 });
  return { work, db, data, ...first };
}

/** Train `config` into `<work>/runs/<name>`, recorded in the store; its id and folder. */
export async function trainRun(
  t: Pick<TinyRun, 'work' | 'db' | 'data'>,
  name: string,
  config: TrainConfigInput,
): Promise<{ runId: number; runDir: string }> {
  const runDir = join(t.work, 'runs', name);
  const store = RunStore.open(t.db);
  try {
    await train({
      config: parseTrainConfig(config),
      outDir: runDir,
      data: t.data,
      recorder: store.recorder({ kind: 'train' }),
    });
    return { runId: store.listRuns().find((r) => r.outDir === runDir)!.id, runDir };
  } finally {
    store.close();
  }
}

/**
 * `n` runs recorded in the store as a sweep would record them (3 epochs each, learning rates and
 * dropouts drawn the way a search draws them: long decimals), without training: for the pages
 * that show many runs. Their ids.
 */
export function recordSweep(db: string, n: number): number[] {
  const store = RunStore.open(db);
  try {
    return Array.from({ length: n }, (_, i) => {
      const config = parseTrainConfig({ epochs: 3, lr: 0.001 * (1 + i / 7), dropout: 0.40025997266639024 - i / 97 });
      const id = store.startRun({ kind: 'train', name: `sweep-${i + 1}`, config, meta: {} });
      for (let e = 1; e <= 3; e++) {
        store.appendEpoch(id, {
          epoch: e,
          loss: 1 / e + i / 100,
          acc: 0.6 + e / 20 + i / 400,
          valLoss: 1.1 / e + i / 100,
          valAcc: 0.58 + e / 20 + i / 400,
          lr: config.lr,
          seconds: 1,
          imagesPerSecond: 1000,
        });
      }
      store.finishRun(id, 'done', { metrics: { valAcc: 0.73 + i / 400 } });
      return id;
    });
  } finally {
    store.close();
  }
}

/** A tuning study's tune.json as `fmnist tune` writes it (8 searched settings, 6 trials) in `dir`, for the pages. */
export function writeTuneStudy(dir: string): void {
  const space = {
    params: [
      { key: 'augmentFlip', dist: { type: 'choice', values: [true, false] } },
      { key: 'augmentShift', dist: { type: 'int', low: 0, high: 2 } },
      { key: 'batchSize', dist: { type: 'choice', values: [32, 64, 128, 256] } },
      { key: 'dropout', dist: { type: 'uniform', low: 0, high: 0.5 } },
      { key: 'labelSmoothing', dist: { type: 'uniform', low: 0, high: 0.2 } },
      { key: 'lr', dist: { type: 'loguniform', low: 1e-4, high: 1e-2 } },
      { key: 'optimizer', dist: { type: 'choice', values: ['adam', 'sgd', 'rmsprop'] } },
      { key: 'weightDecay', dist: { type: 'loguniform', low: 1e-5, high: 0.1 } },
    ],
    fixed: { epochs: 3 },
  } as const;
  const trials = Array.from({ length: 6 }, (_, i) => {
    const params = {
      augmentFlip: i % 2 === 0,
      augmentShift: i % 3,
      batchSize: [32, 64, 128, 256][i % 4],
      dropout: 0.0505 * i + 0.01234,
      labelSmoothing: 0.00964 * (i + 1),
      lr: 0.000134 * 2.3 ** i,
      optimizer: ['adam', 'sgd', 'rmsprop'][i % 3],
      weightDecay: 0.0000117 * 5.1 ** i,
    };
    const values = [0.5 + i / 50, 0.6 + i / 40, 0.62 + i / 30];
    return {
      number: i,
      name: `trial-${String(i).padStart(3, '0')}`,
      params,
      config: parseTrainConfig({ ...params, epochs: 3 }),
      state: 'done',
      start: i === 0,
      values,
      objective: values[2],
      seconds: 3,
      outDir: join(dir, 'trials', `trial-${i}`),
    };
  });
  const state = {
    version: 1,
    id: 'tune-made-by-a-test',
    createdAt: new Date(0).toISOString(),
    trials,
    best: 5,
    settings: {
      strategy: 'tpe',
      seed: 0,
      space,
      base: {},
      limit: 3000,
      valSplit: 0.2,
      pruner: 'median',
      prunerSpec: { kind: 'median', startupTrials: 2, warmupEpochs: 1 },
    },
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, TUNE_FILE), JSON.stringify(state));
}
