/**
 * For the web tests: a real LeNet-5 trained for seconds (600 images, 2 epochs) into a temporary
 * folder and recorded in a temporary run store, as `fmnist train` records it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../backend/select.ts';
import { parseTrainConfig } from '../config.ts';
import { loadFashionMnist, type FashionMnist } from '../data/dataset.ts';
import { RunStore } from '../store/run_store.ts';
import { train } from '../train/train.ts';

export interface TinyRun { work: string; db: string; runId: number; runDir: string; data: FashionMnist }

export async function tinyRun(prefix: string): Promise<TinyRun> {
  await initBackend('wasm');
  const data = loadFashionMnist();
  const work = mkdtempSync(join(tmpdir(), prefix));
  const db = join(work, 'runs.db');
  const runDir = join(work, 'runs', 'tiny');
  const store = RunStore.open(db);
  try {
    await train({ config: parseTrainConfig({ limit: 600, epochs: 2, batchSize: 32 }), outDir: runDir, data, recorder: store.recorder({ kind: 'train' }) });
    const runId = store.listRuns().find((r) => r.outDir === runDir)!.id;
    return { work, db, runId, runDir, data };
  } finally {
    store.close();
  }
}
