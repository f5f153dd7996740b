/**
 * Stage 7 of the study: transfer learning, the published study's third stage, done right.
 *
 * The profile lists the runs (src/pipeline/profiles.ts): pretrained bases available offline (Keras'
 * ImageNet MobileNet 0.25 kept in the repository, nsfwjs' MobileNetV2) and the seed's backbones
 * (VGG16, ResNet152V2, EfficientNetB1) — fine-tuned from ImageNet when Keras' cache holds their
 * weights, otherwise trained from scratch. Each is an ordinary run folder under `<study>/transfer/`,
 * scored once on the test set; a finished run is only re-read. The full profile adds the ablation.
 */
import { join } from 'node:path';
import { baseInputSize, parseTrainConfig, type TrainConfigInput } from '../config.ts';
import type { FashionMnist } from '../data/dataset.ts';
import { imagenetWeightsCached } from '../models/bases.ts';
import type { StudyStages } from '../report/study_report.ts';
import type { RunRecorder } from '../train/types.ts';
import { ablationBases, runAblation } from '../transfer/ablation.ts';
import { trainAndTest } from '../evaluate/train_and_test.ts';
import { pct } from '../util/format.ts';
import type { TransferRunSpec } from './profiles.ts';

export interface TransferStageOptions {
  runs: TransferRunSpec[];
  ablation: TrainConfigInput | null;
  outDir: string;
  data: FashionMnist;
  say: (line: string) => void;
  recorder?: () => Promise<RunRecorder | undefined>;
  signal?: AbortSignal;
}

type Row = NonNullable<StudyStages['transfer']>['rows'][number];

/** The spec's config: its ImageNet variant when the base's weights are in Keras' cache. */
async function resolveSpec(spec: TransferRunSpec): Promise<{ config: TrainConfigInput; note: string | null }> {
  const seed = spec.config.base as 'vgg16' | 'resnet152v2' | 'efficientnetb1';
  if (spec.ifImagenet && (await imagenetWeightsCached(seed))) return { config: { ...spec.config, ...spec.ifImagenet }, note: 'ImageNet weights from Keras\' cache' };
  return { config: spec.config, note: spec.ifImagenet ? 'no ImageNet weights offline: from scratch' : null };
}

export async function runTransferStage(o: TransferStageOptions): Promise<NonNullable<StudyStages['transfer']>> {
  const rows: Row[] = [];
  for (const spec of o.runs) {
    const { config: input, note } = await resolveSpec(spec);
    const cfg = parseTrainConfig(input, `transfer run '${spec.name}'`);
    const dir = join(o.outDir, 'transfer', spec.name);
    const { testAcc, seconds, epochs, reused } = await trainAndTest(cfg, dir, {
      data: o.data, progress: true, signal: o.signal, recorder: o.recorder,
      onTrain: () => o.say(`${spec.label}: ${cfg.mode} at ${baseInputSize(cfg)}x${baseInputSize(cfg)}${note ? ` (${note})` : ''} → ${dir}`),
    });
    if (reused) o.say(`already trained and tested: ${dir}`);
    o.say(`${spec.label}: test accuracy ${pct(testAcc)}`);
    rows.push({
      name: spec.name, label: spec.label, base: cfg.base!, mode: cfg.mode, inputSize: baseInputSize(cfg), weights: cfg.weights, images: cfg.limit,
      epochs, seconds, testAcc, published: spec.published ?? null, run: dir, note,
    });
  }
  let ablation: NonNullable<StudyStages['transfer']>['ablation'] = null;
  if (o.ablation) {
    o.say('ablation: the published study\'s likely mistakes one at a time, on the pretrained bases available offline');
    const abl = await runAblation({ outDir: join(o.outDir, 'transfer'), bases: await ablationBases(), data: o.data, overrides: o.ablation, progress: true, signal: o.signal, recorder: o.recorder });
    ablation = { rows: abl, table: join(o.outDir, 'transfer', 'ablation.md') };
  }
  return { rows, ablation };
}
