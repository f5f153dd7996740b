/**
 * `fmnist explore`: the figures and numbers a person looks at before training — class balance,
 * samples and the mean image per class, pixel-intensity histograms, mean/std, and exact
 * duplicate images within and across splits.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/atomic.ts';
import { writeChart, type ChartSpec } from '../draw/charts.ts';
import { writeTileGrid } from '../draw/images.ts';
import { Rng } from '../util/rng.ts';
import { classCounts, type FashionMnist, type SplitData } from './dataset.ts';
import { pixelStats } from './preprocess.ts';
import { CLASS_NAMES, IMAGE_SIZE, NUM_CLASSES } from './source.ts';

const PIXELS = IMAGE_SIZE * IMAGE_SIZE;
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

export interface DuplicateGroup {
  /** [split, index] of every copy. */
  members: [string, number][];
  labels: string[];
}

export interface ExploreSummary {
  data: { dir: string; official: boolean };
  counts: Record<string, Record<string, number>>;
  pixel: Record<string, { mean: number; std: number }>;
  duplicates: {
    withinTrain: number;
    withinTest: number;
    acrossSplits: number;
    /** Groups whose copies carry different labels. */
    conflictingLabels: number;
    examples: DuplicateGroup[];
  };
  figures: Record<string, string>;
}

/** Exact-duplicate images, by SHA-1 of their 784 bytes. */
export function findDuplicates(splits: Record<string, SplitData>): ExploreSummary['duplicates'] & { groups: DuplicateGroup[] } {
  const seen = new Map<string, [string, number][]>();
  for (const [name, s] of Object.entries(splits)) {
    for (let i = 0; i < s.count; i++) {
      const key = createHash('sha1').update(s.images.subarray(i * PIXELS, (i + 1) * PIXELS)).digest('hex');
      const list = seen.get(key);
      if (list) list.push([name, i]);
      else seen.set(key, [[name, i]]);
    }
  }
  const groups = [...seen.values()].filter((m) => m.length > 1).map((members) => ({
    members,
    labels: members.map(([split, i]) => CLASS_NAMES[splits[split].labels[i]]),
  }));
  // Count extra copies: a group of k within a split adds k-1 duplicates there.
  const within = (split: string) => groups.reduce((a, g) => a + Math.max(0, g.members.filter((m) => m[0] === split).length - 1), 0);
  return {
    withinTrain: within('train'),
    withinTest: within('test'),
    acrossSplits: groups.filter((g) => new Set(g.members.map((m) => m[0])).size > 1).length,
    conflictingLabels: groups.filter((g) => new Set(g.labels).size > 1).length,
    examples: groups.slice(0, 20),
    groups,
  };
}

/** Per-class mean image (0..255). */
export function meanImages(s: SplitData): Uint8Array[] {
  const sums = Array.from({ length: NUM_CLASSES }, () => new Float64Array(PIXELS));
  const counts = classCounts(s.labels);
  for (let i = 0; i < s.count; i++) {
    const sum = sums[s.labels[i]];
    for (let p = 0; p < PIXELS; p++) sum[p] += s.images[i * PIXELS + p];
  }
  return sums.map((sum, c) => Uint8Array.from(sum, (v) => Math.round(v / Math.max(1, counts[c]))));
}

/** Histogram of pixel values in `bins` equal bins over 0..255, per class, as shares. */
export function pixelHistograms(s: SplitData, bins = 32): number[][] {
  const h = Array.from({ length: NUM_CLASSES }, () => new Array(bins).fill(0));
  for (let i = 0; i < s.count; i++) {
    const row = h[s.labels[i]];
    for (let p = 0; p < PIXELS; p++) row[Math.floor((s.images[i * PIXELS + p] * bins) / 256)]++;
  }
  return h.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((v) => v / total);
  });
}

/** Images per class and split: the class balance chart (the HTML report draws it from summary.json too). */
export function classCountsSpec(counts: ExploreSummary['counts']): ChartSpec {
  const countRows = Object.entries(counts).flatMap(([split, per]) => Object.entries(per).map(([cls, n]) => ({ split, class: cls, images: n })));
  return {
    $schema: SCHEMA, title: 'Images per class and split', data: { values: countRows }, width: 420, height: 240,
    mark: 'bar',
    encoding: {
      x: { field: 'class', type: 'nominal', sort: [...CLASS_NAMES], axis: { labelAngle: -45 }, title: null },
      xOffset: { field: 'split' },
      y: { field: 'images', type: 'quantitative' },
      color: { field: 'split', type: 'nominal' },
    },
  };
}

export async function explore(data: FashionMnist, outDir: string, seed = 0): Promise<ExploreSummary> {
  const splits = { train: data.train, test: data.test };
  const figures: Record<string, string> = {};

  // Class balance per split.
  const counts = Object.fromEntries(Object.entries(splits).map(([k, s]) => [k, Object.fromEntries(classCounts(s.labels).map((n, c) => [CLASS_NAMES[c], n]))]));
  figures.classDistribution = (await writeChart(classCountsSpec(counts), join(outDir, 'class_distribution'))).png;

  // Samples: ten random training images per class, one row per class.
  const rng = new Rng(seed);
  const byClass: number[][] = Array.from({ length: NUM_CLASSES }, () => []);
  data.train.labels.forEach((l, i) => byClass[l].push(i));
  const sampleTiles = byClass.flatMap((idx) => rng.shuffle(Int32Array.from(idx)).slice(0, 10).reduce<{ pixels: Uint8Array; width: number; height: number }[]>((acc, i) => {
    acc.push({ pixels: data.train.images.subarray(i * PIXELS, (i + 1) * PIXELS), width: IMAGE_SIZE, height: IMAGE_SIZE });
    return acc;
  }, []));
  figures.samples = await writeTileGrid(sampleTiles, { columns: 10, scale: 2, captionLines: 0, rowLabels: [...CLASS_NAMES], title: 'Training samples per class', base: join(outDir, 'samples') });

  // Mean image per class.
  figures.meanImages = await writeTileGrid(
    meanImages(data.train).map((pixels, c) => ({ pixels, width: IMAGE_SIZE, height: IMAGE_SIZE, caption: CLASS_NAMES[c] })),
    { columns: 5, scale: 4, title: 'Mean training image per class', base: join(outDir, 'mean_images') },
  );

  // Pixel-intensity histograms per class (log scale: most pixels are background 0).
  const hist = pixelHistograms(data.train);
  const bins = hist[0].length;
  const histRows = hist.flatMap((row, c) => row.map((share, b) => ({ class: CLASS_NAMES[c], intensity: Math.round(((b + 0.5) * 256) / bins), share: Math.max(share, 1e-6) })));
  figures.pixelHistograms = (await writeChart({
    $schema: SCHEMA, title: 'Pixel intensity per class (training set, share of pixels, log scale)', data: { values: histRows },
    facet: { field: 'class', type: 'nominal', sort: [...CLASS_NAMES], title: null },
    columns: 5,
    spec: { width: 150, height: 100, mark: { type: 'line', interpolate: 'step-after' }, encoding: {
      x: { field: 'intensity', type: 'quantitative', scale: { domain: [0, 255] }, title: 'intensity' },
      y: { field: 'share', type: 'quantitative', scale: { type: 'log' }, title: 'share' },
    } },
  }, join(outDir, 'pixel_histograms'))).png;

  const pixel = { train: pixelStats(data.train.images), test: pixelStats(data.test.images) };
  const { groups, ...duplicates } = findDuplicates(splits);
  const summary: ExploreSummary = { data: { dir: data.dir, official: data.official }, counts, pixel, duplicates, figures };
  writeJsonAtomic(join(outDir, 'summary.json'), summary);
  if (groups.length > 0) {
    // A small gallery of duplicate groups, so the finding can be seen, not just counted.
    const tiles = groups.slice(0, 24).map((g) => {
      const [split, i] = g.members[0];
      return { pixels: splits[split as 'train' | 'test'].images.subarray(i * PIXELS, (i + 1) * PIXELS), width: IMAGE_SIZE, height: IMAGE_SIZE, caption: `×${g.members.length} ${[...new Set(g.members.map((m) => m[0]))].join('+')}` };
    });
    figures.duplicates = await writeTileGrid(tiles, { columns: 8, scale: 2, title: 'Exact duplicates (copies, splits)', base: join(outDir, 'duplicates') });
    writeJsonAtomic(join(outDir, 'summary.json'), summary);
  }
  return summary;
}

export function formatExplore(s: ExploreSummary): string {
  const d = s.duplicates;
  return [
    `train mean ${s.pixel.train.mean.toFixed(4)} std ${s.pixel.train.std.toFixed(4)} (of x/255); test mean ${s.pixel.test.mean.toFixed(4)} std ${s.pixel.test.std.toFixed(4)}`,
    `exact duplicates: ${d.withinTrain} extra copies within train, ${d.withinTest} within test, ${d.acrossSplits} images in both splits, ${d.conflictingLabels} groups with conflicting labels`,
    ...Object.entries(s.figures).map(([k, v]) => `${k}: ${v}`),
  ].join('\n');
}
