/**
 * `fmnist evaluate`: accuracy, loss, per-class precision/recall/F1, confusion matrix (JSON + PNG)
 * and a gallery of the most confidently wrong images, for a saved model on the test or
 * validation split.
 */
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { CLASS_NAMES, IMAGE_SIZE, NUM_CLASSES } from '../data/source.ts';
import type { FashionMnist } from '../data/dataset.ts';
import { normalizationFor } from '../data/preprocess.ts';
import { chooseSplit } from '../train/train.ts';
import { parseTrainConfig } from '../config.ts';
import { loadModel, readModelMetadata } from '../store/model_io.ts';
import { writeJsonAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import { writeChart, type ChartSpec } from '../draw/charts.ts';
import { writeTileGrid } from '../draw/images.ts';
import { computeMetrics, confidentlyWrong, type Metrics } from './metrics.ts';
import { predictProbabilities } from '../models/predict.ts';

const PIXELS = IMAGE_SIZE * IMAGE_SIZE;

export interface EvaluationReport extends Metrics {
  model: string;
  split: 'test' | 'val';
  /** Flip test-time augmentation (mean of the image's and its mirror's probabilities). */
  tta: boolean;
  files: { metrics: string; confusionJson: string; confusionPng: string; confusionSvg: string; mistakesPng: string };
}

/** Which images to evaluate: the official test set, or the validation part the run held out. */
function evaluationSet(split: 'test' | 'val', meta: Record<string, unknown>, data: FashionMnist): { images: Uint8Array; labels: Uint8Array; indices: Int32Array } {
  if (split === 'test') return { images: data.test.images, labels: data.test.labels, indices: Int32Array.from({ length: data.test.count }, (_, i) => i) };
  if (!meta.config) throw new UserError(`--split val needs a model trained by 'fmnist train' (its config says which images were held out); use --split test`);
  const cfg = parseTrainConfig(meta.config, 'model metadata');
  const { val } = chooseSplit(cfg, data.train.labels);
  if (val.length === 0) throw new UserError('this run trained without a validation split (valSplit 0); use --split test');
  return { images: data.train.images, labels: data.train.labels, indices: val };
}

export async function evaluateModel(dir: string, split: 'test' | 'val', data: FashionMnist, outDir?: string, o: { tta?: boolean } = {}): Promise<EvaluationReport> {
  const tta = Boolean(o.tta);
  outDir ??= join(dir, `eval-${split}${tta ? '-tta' : ''}`);
  const meta = readModelMetadata(dir);
  const model: tf.LayersModel = await loadModel(dir);
  try {
    const classes = model.outputs[0].shape[1];
    if (classes !== NUM_CLASSES) throw new UserError(`${dir}: the model has ${classes} outputs, not the ${NUM_CLASSES} Fashion-MNIST classes`);
    const set = evaluationSet(split, meta, data);
    const norm = normalizationFor(meta, data.train.images);
    const probs = predictProbabilities(model, set.images, set.indices, norm, { tta });
    const truth = Uint8Array.from(set.indices, (i) => set.labels[i]);
    const metrics = computeMetrics(probs, truth, CLASS_NAMES);

    const files = {
      metrics: join(outDir, 'metrics.json'),
      confusionJson: join(outDir, 'confusion.json'),
      confusionPng: join(outDir, 'confusion.png'),
      confusionSvg: join(outDir, 'confusion.svg'),
      mistakesPng: join(outDir, 'mistakes.png'),
    };
    writeJsonAtomic(files.confusionJson, { classNames: CLASS_NAMES, rows: 'true class', columns: 'predicted class', matrix: metrics.confusion });
    await writeConfusionChart(metrics, join(outDir, 'confusion'), split);
    const wrong = confidentlyWrong(probs, truth, NUM_CLASSES, 40);
    await writeTileGrid(
      wrong.map((w) => {
        const src = set.indices[w.index] * PIXELS;
        return {
          pixels: set.images.subarray(src, src + PIXELS), width: IMAGE_SIZE, height: IMAGE_SIZE,
          caption: `${CLASS_NAMES[w.truth]}\n→ ${CLASS_NAMES[w.predicted]} ${(w.confidence * 100).toFixed(0)}%`,
        };
      }),
      { columns: 8, scale: 3, captionLines: 2, title: `Most confidently wrong (${split}): true class → predicted, confidence`, base: join(outDir, 'mistakes') },
    );
    const report: EvaluationReport = { model: dir, split, tta, ...metrics, files };
    writeJsonAtomic(files.metrics, report);
    return report;
  } finally {
    model.dispose();
  }
}

async function writeConfusionChart(m: Metrics, base: string, split: string): Promise<void> {
  await writeChart(confusionSpec(m, split), base);
}

/** The confusion matrix chart (row shares as colour, counts as text); the HTML report and `fmnist serve` draw it too. */
export function confusionSpec(m: Pick<Metrics, 'confusion' | 'accuracy'>, split: string): ChartSpec {
  const cells = m.confusion.flatMap((row, t) => row.map((count, p) => ({ truth: CLASS_NAMES[t], predicted: CLASS_NAMES[p], count, share: count / Math.max(1, row.reduce((a, b) => a + b, 0)) })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Confusion matrix (${split}, accuracy ${(m.accuracy * 100).toFixed(2)}%)`,
    data: { values: cells },
    width: 420,
    height: 420,
    encoding: {
      x: { field: 'predicted', type: 'nominal', sort: [...CLASS_NAMES], axis: { labelAngle: -45 } },
      y: { field: 'truth', type: 'nominal', sort: [...CLASS_NAMES], title: 'true class' },
    },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'share', type: 'quantitative', scale: { scheme: 'blues', domain: [0, 1] }, title: 'row share' } } },
      { mark: { type: 'text', fontSize: 10 }, encoding: { text: { field: 'count', type: 'quantitative' }, color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: 'black' } } },
    ],
  };
}

export function formatEvaluation(r: EvaluationReport): string {
  const lines = [
    `${r.split} accuracy${r.tta ? ' (flip TTA)' : ''} ${(r.accuracy * 100).toFixed(2)}% (${r.count} images), loss ${r.loss.toFixed(4)}, macro F1 ${r.macroF1.toFixed(4)}`,
    `${'class'.padEnd(12)} precision  recall     F1  support`,
    ...r.perClass.map((c) => `${c.className.padEnd(12)} ${c.precision.toFixed(4).padStart(9)} ${c.recall.toFixed(4).padStart(7)} ${c.f1.toFixed(4).padStart(6)} ${String(c.support).padStart(8)}`),
    `files: ${r.files.confusionPng}, ${r.files.mistakesPng}, ${r.files.metrics}`,
  ];
  return lines.join('\n');
}
