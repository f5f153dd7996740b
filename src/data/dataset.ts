/**
 * Loading Fashion-MNIST into memory as uint8 arrays (the smallest faithful form: 47 MB for the
 * training images). Conversion to float happens per batch, later.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { UserError } from '../util/errors.ts';
import { IDX_MAGIC_IMAGES, IDX_MAGIC_LABELS, parseIdx, readIdxBytes } from './idx.ts';
import { IMAGE_SIZE, NUM_CLASSES, OFFICIAL_FILES, fileIn, findDataDir, type Split } from './source.ts';

export interface SplitData {
  /** count x 28 x 28 bytes, row-major. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface FileReport {
  file: string;
  path: string;
  sha256: string;
  official: boolean;
}

export interface FashionMnist {
  dir: string;
  from: string;
  train: SplitData;
  test: SplitData;
  files: FileReport[];
  /** True when all four files are byte-for-byte the official data. */
  official: boolean;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Check that images and labels make a valid split; errors name the file and the problem. */
export function validateSplit(images: { dims: number[]; data: Uint8Array }, labels: { dims: number[]; data: Uint8Array }, imagesName: string, labelsName: string): SplitData {
  if (images.dims.length !== 3) throw new UserError(`${imagesName}: expected 3 dimensions (count, 28, 28), got ${images.dims.length}`);
  const [count, rows, cols] = images.dims;
  if (rows !== IMAGE_SIZE || cols !== IMAGE_SIZE) throw new UserError(`${imagesName}: images are ${rows}x${cols}, expected ${IMAGE_SIZE}x${IMAGE_SIZE}`);
  if (labels.dims.length !== 1) throw new UserError(`${labelsName}: expected 1 dimension, got ${labels.dims.length}`);
  if (labels.dims[0] !== count) throw new UserError(`${labelsName}: ${labels.dims[0]} labels for ${count} images in ${imagesName}`);
  for (let i = 0; i < labels.data.length; i++) {
    if (labels.data[i] >= NUM_CLASSES) throw new UserError(`${labelsName}: label ${labels.data[i]} at index ${i} is out of range 0-${NUM_CLASSES - 1}`);
  }
  return { images: images.data, labels: labels.data, count };
}

/** Load both splits, validating everything; `withChecksums` also hashes the content. */
export function loadFashionMnist(opts: { dataDir?: string; splits?: Split[] } = {}): FashionMnist {
  const { dir, from } = findDataDir(opts.dataDir);
  const files: FileReport[] = [];
  const splits: Partial<Record<Split, SplitData>> = {};
  for (const split of opts.splits ?? (['train', 'test'] as Split[])) {
    const img = OFFICIAL_FILES.find((f) => f.split === split && f.kind === 'images')!;
    const lab = OFFICIAL_FILES.find((f) => f.split === split && f.kind === 'labels')!;
    const parts = [img, lab].map((spec) => {
      const path = fileIn(dir, spec.stem)!;
      const bytes = readIdxBytes(path);
      const hash = sha256(bytes);
      files.push({ file: spec.stem, path, sha256: hash, official: hash === spec.sha256 });
      return parseIdx(bytes, spec.kind === 'images' ? IDX_MAGIC_IMAGES : IDX_MAGIC_LABELS, basename(path));
    });
    splits[split] = validateSplit(parts[0], parts[1], basename(fileIn(dir, img.stem)!), basename(fileIn(dir, lab.stem)!));
  }
  const empty: SplitData = { images: new Uint8Array(0), labels: new Uint8Array(0), count: 0 };
  return {
    dir, from, files,
    train: splits.train ?? empty,
    test: splits.test ?? empty,
    official: files.length === 4 && files.every((f) => f.official),
  };
}

/** Examples per class. */
export function classCounts(labels: Uint8Array): number[] {
  const counts = new Array(NUM_CLASSES).fill(0);
  for (const l of labels) counts[l]++;
  return counts;
}

/** A compact record of the data a run used (for run.json). */
export function dataFingerprint(data: FashionMnist) {
  return { dir: data.dir, official: data.official, files: data.files.map(({ file, sha256 }) => ({ file, sha256 })) };
}
