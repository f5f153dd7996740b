/** Test support for the training loop (imported by tests only). */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrainConfig } from '../config.ts';
import type { FashionMnist } from '../data/dataset.ts';
import { train } from './train.ts';

/**
 * Train `cfg` whole, and again stopped (by its AbortSignal) after each epoch of `stops` then
 * resumed: the resumed runs must equal the whole one bit for bit (losses, validation, weights).
 */
export async function assertResumesExactly(cfg: TrainConfig, data: FashionMnist, stops: number[]): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'fmnist-resume-'));
  try {
    const whole = join(root, 'whole');
    const w = await train({ config: cfg, outDir: whole, data });
    for (const stopAfter of stops) {
      const dir = join(root, `stop-${stopAfter}`);
      const controller = new AbortController();
      await assert.rejects(
        train({ config: cfg, outDir: dir, data, signal: controller.signal, onEpoch: (m) => { if (m.epoch === stopAfter) controller.abort(); } }),
        new RegExp(`checkpoint of epoch ${stopAfter}`),
      );
      const r = await train({ config: cfg, outDir: dir, data, resume: true });
      assert.deepEqual(r.epochs.map((e) => [e.loss, e.valLoss]), w.epochs.map((e) => [e.loss, e.valLoss]), `stopped after epoch ${stopAfter}`);
      assert.deepEqual(readFileSync(join(dir, 'weights.bin')), readFileSync(join(whole, 'weights.bin')), `stopped after epoch ${stopAfter}: the same weights`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
