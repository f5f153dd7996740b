/**
 * `fmnist transfer --ablation`: the published study's likely mistakes, one at a time, against the
 * right setup, on pretrained bases — which of them reproduce its chance-level accuracy (EfficientNetB1
 * 10.01%, VGG16 10.00%)?
 *
 * Every setup is an ordinary fine-tuning run (head first, then the whole base) on a stratified
 * subset, scored on the full test set after its last epoch (not the best one: a mistake that
 * wrecks fine-tuning must not hide behind the head-only epoch), with its validation accuracy per
 * epoch; runs are folders under `<out>/<base>/<setup>/`, so an
 * interrupted ablation resumes where it stopped and a finished one is only re-read. The table goes
 * to `<out>/ablation.json` and `<out>/ablation.md`.
 */
import { BUNDLED_MOBILENET } from './bundled.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseTrainConfig, type TrainConfig, type TrainConfigInput } from '../config.ts';
import type { FashionMnist } from '../data/dataset.ts';
import type { BasePreprocess } from '../models/bases.ts';
import { imagenetWeightsCached, loadBase } from '../models/bases.ts';
import { readMetrics } from '../train/run_folder.ts';
import { trainAndTest } from '../evaluate/train_and_test.ts';
import type { RunRecorder } from '../train/types.ts';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import { pct } from '../util/format.ts';


/** Below this test accuracy a setup "reproduces chance" (10 classes: chance is 10%). */
export const CHANCE_LEVEL = 0.15;

export interface AblationBase {
  /** `--base` spec. */
  base: string;
  /** `--weights` (registry bases). */
  weights: string | null;
  /** The right input size for this base here (cost-aware). */
  inputSize: number;
  label: string;
}

export interface AblationSetup {
  name: string;
  /** What is wrong (null: the right setup). */
  mistake: string | null;
  change(b: AblationBase, right: BasePreprocess): Partial<TrainConfig>;
}

/** A plausible wrong scaling: [0, 1] (x/255, the usual slip), or Keras' 'caffe' for a base that wants [0, 1]. */
const wrongPreprocess = (right: BasePreprocess): BasePreprocess => (right === 'unit' ? 'caffe' : 'unit');

export const SETUPS: AblationSetup[] = [
  { name: 'right', mistake: null, change: () => ({}) },
  { name: 'preprocessing', mistake: 'inputs scaled as the base was not trained (x/255 where it wants its own scaling)', change: (_, right) => ({ preprocess: wrongPreprocess(right) }) },
  { name: 'bn-training', mistake: "the base's BatchNorm in training mode while fine-tuning", change: () => ({ baseTraining: true }) },
  { name: 'lr-1e-3', mistake: 'learning rate 1e-3 on the unfrozen base', change: () => ({ finetuneLr: 1e-3 }) },
  { name: 'input-32', mistake: '32x32 inputs', change: () => ({ inputSize: 32 }) },
  {
    name: 'all', mistake: 'all four at once',
    change: (_, right) => ({ preprocess: wrongPreprocess(right), baseTraining: true, finetuneLr: 1e-3, inputSize: 32 }),
  },
];

/** Pretrained bases usable offline: the fixtures' Keras MobileNet 0.25, nsfwjs' MobileNetV2, and the seed's backbones when Keras' cache holds their ImageNet weights. */
export async function ablationBases(mobilenetFile: string | null = BUNDLED_MOBILENET): Promise<AblationBase[]> {
  const bases: AblationBase[] = [];
  if (mobilenetFile && existsSync(mobilenetFile)) bases.push({ base: 'mobilenet', weights: mobilenetFile, inputSize: 64, label: 'MobileNet 0.25 (Keras ImageNet weights)' });
  bases.push({ base: 'nsfwjs:mobilenet_v2', weights: null, inputSize: 96, label: 'MobileNetV2 (nsfwjs, ImageNet-pretrained)' });
  for (const [name, label] of [['vgg16', 'VGG16'], ['resnet152v2', 'ResNet152V2'], ['efficientnetb1', 'EfficientNetB1']] as const) {
    if (await imagenetWeightsCached(name)) bases.push({ base: name, weights: 'imagenet', inputSize: 64, label: `${label} (Keras ImageNet weights)` });
  }
  return bases;
}

export interface AblationRow {
  base: string;
  label: string;
  setup: string;
  mistake: string | null;
  testAcc: number;
  chance: boolean;
  /** Validation accuracy after each epoch (the first is the head alone). */
  valAcc: number[];
  run: string;
}

export interface AblationOptions {
  outDir: string;
  bases: AblationBase[];
  data: FashionMnist;
  /** Settings over the ablation's (limit, epochs, seed, …). */
  overrides?: TrainConfigInput;
  progress?: boolean;
  signal?: AbortSignal;
  /** A fresh store recorder per run. */
  recorder?: () => Promise<RunRecorder | undefined>;
  onRow?: (row: AblationRow) => void;
}

/** The ablation's recipe: fine-tuning, 1 head epoch + 3 of the whole base, on 5,000 images. */
const ABLATION_DEFAULTS: TrainConfigInput = { mode: 'finetune', epochs: 4, headEpochs: 1, limit: 5000, batchSize: 32 };

export async function runAblation(o: AblationOptions): Promise<AblationRow[]> {
  if (!o.bases.length) throw new UserError('--ablation: no pretrained base is available offline');
  const rows: AblationRow[] = [];
  for (const b of o.bases) {
    const right = (await loadBase(b.base, { inputSize: 32, weights: b.weights, fastInit: true })).preprocess;
    for (const s of SETUPS) {
      const cfg = parseTrainConfig({
        ...ABLATION_DEFAULTS, base: b.base, weights: b.weights, inputSize: b.inputSize, ...o.overrides, ...s.change(b, right),
      }, `ablation ${b.base} ${s.name}`);
      const dir = join(o.outDir, b.base.replace(/[^\w.-]+/g, '_'), s.name);
      const { testAcc: acc } = await trainAndTest(cfg, dir, { data: o.data, keepBest: false, progress: o.progress, signal: o.signal, recorder: o.recorder });
      const valAcc = readMetrics(dir).map((m) => m.valAcc ?? NaN);
      const row: AblationRow = { base: b.base, label: b.label, setup: s.name, mistake: s.mistake, testAcc: acc, chance: acc < CHANCE_LEVEL, valAcc, run: dir };
      rows.push(row);
      o.onRow?.(row);
      writeAblation(o.outDir, rows);
    }
  }
  return rows;
}

export function writeAblation(outDir: string, rows: AblationRow[]): void {
  writeJsonAtomic(join(outDir, 'ablation.json'), { chanceLevel: CHANCE_LEVEL, rows });
  writeFileAtomic(join(outDir, 'ablation.md'), ablationTable(rows));
}

/** The table as Markdown: one row per base and setup. */
export function ablationTable(rows: AblationRow[]): string {
  const lines = [
    '| base | setup | what is wrong | validation accuracy by epoch (1: head alone) | test accuracy | chance level? |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.label} | ${r.setup} | ${r.mistake ?? '— (the right setup)'} | ${r.valAcc.map(pct).join(' → ')} | ${pct(r.testAcc)} | ${r.chance ? '**yes**' : 'no'} |`),
  ];
  return `${lines.join('\n')}\n`;
}

export { BUNDLED_MOBILENET };
