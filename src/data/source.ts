/**
 * Where the Fashion-MNIST files are, and what the official ones are.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../util/errors.ts';

export { CLASS_NAMES, NUM_CLASSES, IMAGE_SIZE } from './classes.ts';

export type Split = 'train' | 'test';
export type FileKind = 'images' | 'labels';

export interface OfficialFile {
  split: Split;
  kind: FileKind;
  /** File name without .gz. */
  stem: string;
  count: number;
  /** MD5 of the .gz file as published in the upstream README (what the mirror serves). */
  gzMd5: string;
  /**
   * SHA-256 of the inflated IDX bytes. Checking the content rather than the .gz lets us
   * recognise the official data however it was compressed (Debian's package re-gzips it).
   * Computed from Debian's dataset-fashion-mnist (upstream git 55506a9), whose .gz files
   * inflate to the upstream ones.
   */
  sha256: string;
  bytes: number;
}

export const OFFICIAL_FILES: readonly OfficialFile[] = [
  { split: 'train', kind: 'images', stem: 'train-images-idx3-ubyte', count: 60000, gzMd5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d', sha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888', bytes: 47040016 },
  { split: 'train', kind: 'labels', stem: 'train-labels-idx1-ubyte', count: 60000, gzMd5: '25c81989df183df01b3e8a0aad5dffbe', sha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9', bytes: 60008 },
  { split: 'test', kind: 'images', stem: 't10k-images-idx3-ubyte', count: 10000, gzMd5: 'bef4ecab320f06d8554ea6380940ec79', sha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b', bytes: 7840016 },
  { split: 'test', kind: 'labels', stem: 't10k-labels-idx1-ubyte', count: 10000, gzMd5: 'bb300cfdad3c16e7a12a480ee83cd310', sha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34', bytes: 10008 },
];

/** The official mirror named in the upstream README. */
export const OFFICIAL_MIRROR = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';
export const DEBIAN_PACKAGE = 'dataset-fashion-mnist';
export const DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';
export const LOCAL_DIR = 'data/fashion-mnist';

/** The folders searched, in order: --data-dir, FMNIST_DATA_DIR, ./data/fashion-mnist, Debian's. */
export function candidateDirs(dataDir?: string): { dir: string; from: string }[] {
  if (dataDir) return [{ dir: resolve(dataDir), from: '--data-dir' }];
  const out: { dir: string; from: string }[] = [];
  if (process.env.FMNIST_DATA_DIR) out.push({ dir: resolve(process.env.FMNIST_DATA_DIR), from: 'FMNIST_DATA_DIR' });
  out.push({ dir: resolve(LOCAL_DIR), from: './data/fashion-mnist' }, { dir: DEBIAN_DIR, from: `Debian ${DEBIAN_PACKAGE}` });
  return out;
}

/** The path of one file in `dir`: the .gz if present, else the plain one, else undefined. */
export function fileIn(dir: string, stem: string): string | undefined {
  for (const name of [`${stem}.gz`, stem]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** The first candidate folder that holds all four files, or a UserError naming what to do. */
export function findDataDir(dataDir?: string): { dir: string; from: string } {
  const candidates = candidateDirs(dataDir);
  for (const c of candidates) {
    const missing = OFFICIAL_FILES.filter((f) => !fileIn(c.dir, f.stem));
    if (missing.length === 0) return c;
    if (dataDir) {
      throw new UserError(`${c.dir}: missing ${missing.map((f) => f.stem + '[.gz]').join(', ')}`);
    }
  }
  throw new UserError(
    `Fashion-MNIST not found in ${candidates.map((c) => c.dir).join(', ')}: ` +
      `run 'fmnist data fetch', 'apt-get install ${DEBIAN_PACKAGE}', or pass --data-dir DIR`,
  );
}
