/**
 * Features of a frozen body (a transfer classifier up to its pooling), computed once and cached on
 * disk: `features` runs and the head phase of `finetune` runs train on them instead of running the
 * base every step, and the next run with the same base reuses them.
 *
 * The cache key is a SHA-256 of everything the features depend on: the body's topology (base,
 * cut, input size), every weight it holds (pretrained values and the preprocessing layer), the
 * data files' checksums and the images chosen. Change any and the key changes; nothing stale is read.
 * Files: `<cache>/features/<key>.bin` (float32 rows, in the order of the indices) and `<key>.json`,
 * both written atomically, the .json last (it is what says the entry is complete).
 */
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { batchSlices, fillBatch, modelInputShape, toModelInput } from '../data/preprocess.ts';
import { IMAGE_SIZE } from '../data/source.ts';
import { ourCacheDir } from '../keras/get_file.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import { Interrupted } from '../util/interrupt.ts';
import { Progress } from '../util/progress.ts';

const PIXELS = IMAGE_SIZE * IMAGE_SIZE;
const UNIT = { kind: 'unit' as const, mean: 0, std: 1 };

export interface Features {
  /** rows × dim float32, row i for indices[i]. */
  rows: Float32Array;
  dim: number;
  /** Whether they came from the cache. */
  cached: boolean;
  path: string;
}

export interface FeatureOptions {
  /** Checksums of the data files the images come from. */
  dataKey: unknown;
  cacheDir?: string;
  progress?: boolean;
  signal?: AbortSignal;
  batchSize?: number;
}

/** The cache key of a body's features of images[indices]. */
export function featureKey(body: tf.LayersModel, indices: Int32Array, dataKey: unknown): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(body.toJSON(null, false)));
  h.update(JSON.stringify(dataKey));
  h.update(new Uint8Array(indices.buffer, indices.byteOffset, indices.byteLength));
  for (const w of body.weights) {
    const v = w.read().dataSync() as Float32Array;
    h.update(w.name);
    h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
  return h.digest('hex').slice(0, 32);
}

/** The body's (inference-mode) features of images[indices], from the cache or computed and cached. */
export async function bodyFeatures(body: tf.LayersModel, images: Uint8Array, indices: Int32Array, o: FeatureOptions): Promise<Features> {
  const dim = body.outputs[0].shape.slice(1).reduce((a: number, b) => a * (b ?? 1), 1);
  const dir = join(o.cacheDir ?? ourCacheDir(), 'features');
  const key = featureKey(body, indices, o.dataKey);
  const bin = join(dir, `${key}.bin`);
  const meta = join(dir, `${key}.json`);
  const bytes = indices.length * dim * 4;
  if (existsSync(meta) && existsSync(bin) && statSync(bin).size === bytes) {
    const buf = readFileSync(bin);
    const rows = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    if (rows.every(Number.isFinite)) return { rows, dim, cached: true, path: bin };
  }
  const rows = new Float32Array(indices.length * dim);
  const inShape = modelInputShape(body);
  const batch = o.batchSize ?? 256;
  const xBuf = new Float32Array(batch * PIXELS);
  const bar = o.progress ? new Progress({ total: indices.length, unit: 'img', label: 'features', plainIntervalMs: 15_000 }) : undefined;
  let done = 0;
  for (const idx of batchSlices(indices, batch)) {
    await new Promise((r) => setImmediate(r));
    if (o.signal?.aborted) throw new Interrupted('interrupted while computing features (nothing cached; rerun to start them again)');
    fillBatch(images, idx, xBuf, UNIT);
    const y = tf.tidy(() => body.predict(toModelInput(inShape, tf.tensor4d(xBuf.subarray(0, idx.length * PIXELS), [idx.length, IMAGE_SIZE, IMAGE_SIZE, 1]))) as tf.Tensor);
    rows.set(y.dataSync() as Float32Array, done * dim);
    y.dispose();
    done += idx.length;
    bar?.tick(idx.length);
  }
  bar?.finish();
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(bin, new Uint8Array(rows.buffer));
  writeJsonAtomic(meta, { key, rows: indices.length, dim, body: body.name, created: new Date().toISOString() });
  return { rows, dim, cached: false, path: bin };
}

/** Rows of `f` for positions `pos` (into the indices the features were made for), as a [n, dim] tensor. */
export function featureBatch(f: Features, pos: ArrayLike<number>): tf.Tensor2D {
  const out = new Float32Array(pos.length * f.dim);
  for (let i = 0; i < pos.length; i++) out.set(f.rows.subarray(pos[i] * f.dim, (pos[i] + 1) * f.dim), i * f.dim);
  return tf.tensor2d(out, [pos.length, f.dim]);
}
