/**
 * The study's report: `report.md` beside `study.json`, rewritten after every stage, so what a run
 * found can be read (and its figures seen) without opening JSON. Links are relative to the study
 * folder, so the folder can be moved or published as it is.
 */
import { join, relative } from 'node:path';
import { runFile } from '../train/run_folder.ts';
import { cvWinner, type CvSummary } from '../tune/cv.ts';
import type { PairedTest } from '../evaluate/stats.ts';
import type { TrialRecord } from '../tune/tune.ts';
import { count, pct, pp } from '../util/format.ts';
import { ablationTable, type AblationRow } from '../transfer/ablation.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { formatDuration } from '../util/progress.ts';

/** The stages as src/pipeline/study.ts records them; a stage not reached yet is absent. */
export interface StudyStages {
  data?: { dir: string; official: boolean; train: number; test: number };
  explore?: { figures: Record<string, string>; pixel: Record<string, { mean: number; std: number }>; duplicates: { withinTrain: number; withinTest: number; acrossSplits: number } };
  train?: { outDir: string; epochs: number; bestEpoch: number; final: { valAcc?: number; valLoss?: number }; seconds: number };
  evaluate?: { accuracy: number; loss: number; macroF1: number; files: Record<string, string> };
  tune?: {
    strategy?: string;
    counts?: Record<string, number>;
    /** Epochs per trial (the most a trial gets). */
    epochs?: number;
    /** Trial 0: the default configuration the search started from. */
    start?: Pick<TrialRecord, 'name' | 'objective'> | null;
    best: Pick<TrialRecord, 'name' | 'params' | 'objective'> | null;
    final: { testAccuracy: number; macroF1: number; trainImages: number; outDir?: string } | null;
    files: Record<string, string>;
  };
  cv?: { sizes: { val: number; train: number }; summaries: CvSummary[]; comparison: (PairedTest & { first: string; second: string }) | null; files: Record<string, string> };
  transfer?: {
    rows: {
      name: string; label: string; base: string; mode: string; inputSize: number; weights: string | null; images: number | null;
      epochs: number; seconds: number; testAcc: number; published: number | null; run: string; note: string | null;
    }[];
    ablation: { rows: AblationRow[]; table: string } | null;
  };
  /** Stage 8: the strongest model, trained by a named recipe and tested once. */
  strongest?: { recipe: string; model: string; images: number | null; epochs: number; seconds: number; testAcc: number; run: string };
}

/** What the published Keras study reported (validation accuracy; it gave no test-set or CV figures). */
export const PUBLISHED = { lenet5: 0.8982, tuned: 0.894, transfer: { ResNet152V2: 0.7231, EfficientNetB1: 0.1001, VGG16: 0.1 } };

/** Whether tuning's best trial is the configuration it started from (trial 0). */
const keptStart = (tune: StudyStages['tune']) => Boolean(tune?.best && tune.best.name === tune.start?.name);

const images = (n: number) => `${Math.round(n).toLocaleString('en')} images`;

/** What the tuned figures rest on, so a smaller search is not read as the recipe's scale. */
function tuneScale(tune: NonNullable<StudyStages['tune']>): string {
  const trials = tune.counts ? Object.values(tune.counts).reduce((a, b) => a + b, 0) : undefined;
  const search = trials ? `best of ${trials} trials${tune.epochs ? ` of ${tune.epochs} epochs` : ''}` : 'best trial';
  const refit = tune.final ? `, retrained on ${images(tune.final.trainImages)}` : '';
  return ` (${search}${refit}${keptStart(tune) ? '; tuning kept the default settings' : ''})`;
}

function cvScale(cv: NonNullable<StudyStages['cv']>, tune: StudyStages['tune']): string {
  return ` (${cv.summaries[0].folds.length} folds of ${images(cv.sizes.train + cv.sizes.val)}${tune?.epochs ? `, ${tune.epochs} epochs` : ''})`;
}

/** The headline: each of our figures beside the published one it answers. */
function publishedTable(stages: StudyStages): string[] {
  const { train, evaluate, tune, cv } = stages;
  const ours = (v: number | undefined, what: string) => (v === undefined ? 'not reached yet' : `${pct(v)} ${what} (${pp(v - PUBLISHED.lenet5)})`);
  const rows = [
    ['LeNet-5, default settings', pct(PUBLISHED.lenet5), [train && ours(train.final.valAcc, 'validation'), evaluate && `**${pct(evaluate.accuracy)}** test (${pp(evaluate.accuracy - PUBLISHED.lenet5)})`].filter(Boolean).join(', ') || 'not reached yet'],
    ['LeNet-5, tuned', pct(PUBLISHED.tuned), tune?.best ? [`${pct(tune.best.objective)} validation (${pp((tune.best.objective ?? NaN) - PUBLISHED.tuned)})`, tune.final && `**${pct(tune.final.testAccuracy)}** test (${pp(tune.final.testAccuracy - PUBLISHED.tuned)})`].filter(Boolean).join(', ') + tuneScale(tune) : 'not reached yet'],
    ['LeNet-5, cross-validation', 'not reported', cv ? cv.summaries.map((s) => `${s.config} ${pct(s.mean)} ± ${(s.std * 100).toFixed(2)}`).join(', ') + cvScale(cv, tune) : 'not reached yet'],
    ...Object.entries(PUBLISHED.transfer).map(([base, acc]) => {
      const row = stages.transfer?.rows.find((r) => r.base === base.toLowerCase());
      return [`transfer learning, ${base}`, pct(acc), row ? `**${pct(row.testAcc)}** test (${pp(row.testAcc - acc)}), ${row.mode}${row.note ? ` (${row.note})` : ''}, ${row.inputSize}x${row.inputSize}, ${imagesText(row.images)}` : 'not reached yet'];
    }),
    ...(stages.transfer?.rows.filter((r) => r.published === null) ?? []).map((r) => [`transfer learning, ${r.label}`, 'not in the study', `**${pct(r.testAcc)}** test, ${r.inputSize}x${r.inputSize}, ${imagesText(r.images)}`]),
    ...(stages.strongest ? [[`the strongest model, ${strongestLabel(stages.strongest)}`, 'not in the study', `**${pct(stages.strongest.testAcc)}** test, ${count(stages.strongest.epochs, 'epoch')}, ${imagesText(stages.strongest.images)}`]] : []),
  ];
  return ['| | published study | this run (difference) |', '|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`), ''];
}

const strongestLabel = (s: NonNullable<StudyStages['strongest']>) => `${s.model} (recipe ${s.recipe})`;

/** Every model the study tested, best test accuracy first. */
function ranking(stages: StudyStages, outDir: string): string[] {
  const { train, evaluate, tune, transfer, strongest } = stages;
  const rows: { what: string; run?: string; acc: number }[] = [
    ...(train && evaluate ? [{ what: 'LeNet-5, default settings', run: train.outDir, acc: evaluate.accuracy }] : []),
    ...(tune?.final ? [{ what: 'LeNet-5, tuned', run: tune.final.outDir, acc: tune.final.testAccuracy }] : []),
    ...(transfer?.rows ?? []).map((r) => ({ what: `${r.label}, ${r.mode}`, run: r.run, acc: r.testAcc })),
    ...(strongest ? [{ what: strongestLabel(strongest), run: strongest.run, acc: strongest.testAcc }] : []),
  ].sort((a, b) => b.acc - a.acc);
  if (rows.length < 2) return [];
  return ['### Our models, best first', '', '| rank | model | test accuracy |', '|---|---|---|',
    ...rows.map((r, i) => `| ${i + 1} | ${r.run ? `[${r.what}](${relative(outDir, r.run)})` : r.what} | ${i === 0 ? `**${pct(r.acc)}**` : pct(r.acc)} |`), ''];
}

const imagesText = (n: number | null) => (n === null ? 'all 60,000 training images' : `${n.toLocaleString('en')} training images`);

/** `classDistribution` → `class distribution`. */
const words = (key: string) => key.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);

/**
 * What the comparison with the published study is worth for a profile: the quick profile
 * (pipeline/profiles.ts) trains a few epochs on subsets to show the pipeline works, so its gaps
 * to the published figures say nothing about the models. Undefined for the others.
 */
export function smokeTestNote(profile: string | undefined): string | undefined {
  return profile === 'quick'
    ? 'The quick profile is a smoke test (a few epochs on subsets of the data): it shows the pipeline works end to '
      + 'end. Its accuracies are far below what these models reach, so the differences from the published study below '
      + 'say nothing about the models; run the standard or full profile to compare.'
    : undefined;
}

export function studyReport(profile: string, stages: StudyStages, outDir: string): string {
  const link = (path: string | undefined, text: string) => (path ? `[${text}](${relative(outDir, path)})` : text);
  const image = (path: string | undefined, alt: string) => (path ? `![${alt}](${relative(outDir, path)})` : '');
  const out: string[] = [`# Fashion-MNIST study (${profile} profile)`, ''];
  const { data, explore, train, evaluate, tune, cv } = stages;
  const smoke = smokeTestNote(profile);
  const note = smoke ? [`> **${smoke}**`, ''] : [];
  out.push('## Against the published study', ...note, ...publishedTable(stages), ...ranking(stages, outDir));

  if (data) {
    out.push('## 1. Data', `${data.train.toLocaleString('en')} training and ${data.test.toLocaleString('en')} test images from \`${data.dir}\`; ${data.official ? 'the official files (SHA-256 checked)' : '**not** the official files'}.`, '');
  }
  if (explore) {
    const d = explore.duplicates;
    const px = explore.pixel.train;
    out.push('## 2. Exploration',
      `${px ? `Training pixels (0–1): mean ${px.mean.toFixed(4)}, std ${px.std.toFixed(4)}. ` : ''}Exact duplicate images: ${d.withinTrain} within train, ${d.withinTest} within test, ${d.acrossSplits} across the splits.`,
      '', Object.entries(explore.figures).map(([name, path]) => link(path, words(name))).join(' · '), '', image(explore.figures.samples, 'samples'), '');
  }
  if (train) {
    out.push('## 3. LeNet-5, default recipe',
      `${train.epochs} epochs in ${Math.round(train.seconds)} s; kept epoch ${train.bestEpoch}: validation accuracy ${pct(train.final.valAcc)} (the published study: ${pct(PUBLISHED.lenet5)}).`,
      '', image(runFile(train.outDir, 'curvesPng'), 'learning curves'), '');
  }
  if (evaluate) {
    out.push('## 4. Test set (10,000 images)',
      `Accuracy **${pct(evaluate.accuracy)}**, macro F1 ${evaluate.macroF1.toFixed(4)}, loss ${evaluate.loss.toFixed(4)}. ${link(evaluate.files.confusionPng, 'confusion matrix')} · ${link(evaluate.files.mistakesPng, 'most confidently wrong')}`,
      '', image(evaluate.files.confusionPng, 'confusion matrix'), '');
  }
  if (tune) {
    const counts = tune.counts ? ` (${Object.entries(tune.counts).map(([k, v]) => `${v} ${k}`).join(', ')})` : '';
    const epochs = tune.epochs ? `, ${tune.epochs} epochs per trial at most` : '';
    out.push('## 5. Tuning', `Strategy ${tune.strategy ?? '?'}${counts}${epochs}; objective: accuracy on a held-out validation split of the training images; trial 0 is the default configuration, run in full. ${link(tune.files.trials, 'all trials (CSV)')}`);
    if (tune.best) {
      const start = tune.start?.objective === undefined ? '' : tune.best.name === tune.start.name ? ' — the default configuration itself: no trial beat it' : `; the default configuration (${tune.start.name}): ${pct(tune.start.objective)}, ${pp((tune.best.objective ?? NaN) - tune.start.objective)}`;
      out.push('', `Best: ${tune.best.name}, validation accuracy ${pct(tune.best.objective)}${start} (the published study after tuning: ${pct(PUBLISHED.tuned)}).`, '', '| hyperparameter | value |', '|---|---|',
        ...Object.entries(tune.best.params).map(([k, v]) => `| ${k} | ${typeof v === 'number' && !Number.isInteger(v) ? v.toPrecision(3) : String(v)} |`));
    }
    if (tune.final) out.push('', `Retrained on ${tune.final.trainImages.toLocaleString('en')} images: test accuracy **${pct(tune.final.testAccuracy)}**, macro F1 ${tune.final.macroF1.toFixed(4)}. ${link(tune.files.bestConfig, 'configuration')} (\`fmnist train --config\` takes it).`);
    out.push('', image(tune.files.historyPng, 'optimisation history'), '', image(tune.files.paramsPng, 'hyperparameters against validation accuracy'), '');
  }
  if (cv) {
    const labels = cv.summaries.map((s) => s.config);
    const paired = cv.summaries.length === 2;
    out.push('## 6. Cross-validation',
      `${cv.summaries[0].folds.length} stratified folds, each trained on ${Math.round(cv.sizes.train).toLocaleString('en')} images and scored on the other ${Math.round(cv.sizes.val).toLocaleString('en')} after its last epoch.`, '',
      `| fold | ${labels.join(' | ')}${paired ? ' | difference |' : ' |'}`, `|---|${labels.map(() => '---|').join('')}${paired ? '---|' : ''}`);
    cv.summaries[0].folds.forEach((_, f) => {
      const diff = paired ? ` ${pp(cv.summaries[1].folds[f] - cv.summaries[0].folds[f])} |` : '';
      out.push(`| ${f + 1} | ${cv.summaries.map((s) => pct(s.folds[f])).join(' | ')} |${diff}`);
    });
    out.push(`| mean ± std | ${cv.summaries.map((s) => `${pct(s.mean)} ± ${(s.std * 100).toFixed(2)}`).join(' | ')} |${paired ? ` ${pp(cv.summaries[1].mean - cv.summaries[0].mean)} |` : ''}`,
      `| 95% CI (corrected) | ${cv.summaries.map((s) => `${pct(s.ci95.low)} – ${pct(s.ci95.high)}`).join(' | ')} |${paired && cv.comparison ? ` ${pp(cv.comparison.ci.low)} – ${pp(cv.comparison.ci.high)} |` : ''}`, '');
    const c = cv.comparison;
    if (!paired && keptStart(stages.tune)) {
      out.push('Tuning kept the default configuration, so "tuned" and "default" are one configuration: the same folds give the same scores, the difference is 0 on every fold, and there is nothing for the corrected t-test to decide. The default alone is cross-validated.', '');
    }
    if (c) {
      const winner = cvWinner(c);
      const verdict = winner ? `**${winner} is better** at the 5% level` : 'no significant difference at the 5% level';
      out.push(`${c.second} − ${c.first}: corrected resampled t-test (Nadeau & Bengio) t = ${c.t.toFixed(3)}, df = ${c.df}, p = ${c.p.toPrecision(3)}: ${verdict}.`, '');
    }
    out.push(image(cv.files.chartPng, 'held-out accuracy per fold'), '');
  }
  const transfer = stages.transfer;
  if (transfer) {
    out.push('## 7. Transfer learning',
      'A new head on a pretrained base (frozen features, or fine-tuned with the base\'s BatchNorm in inference mode and a small learning rate), or the seed\'s backbones from scratch where their ImageNet weights are not available offline. Images are resized bilinearly to the base\'s input size and scaled inside the model as each base was trained.', '',
      '| run | mode | input | training images | epochs | time | test accuracy | published |', '|---|---|---|---|---|---|---|---|',
      ...transfer.rows.map((r) => `| [${r.label}](${relative(outDir, r.run)}) | ${r.mode}${r.note ? ` (${r.note})` : ''} | ${r.inputSize}x${r.inputSize} | ${r.images === null ? '60,000' : r.images.toLocaleString('en')} | ${r.epochs} | ${Math.round(r.seconds / 60)} min | **${pct(r.testAcc)}** | ${r.published === null ? '—' : pct(r.published)} |`), '');
    if (transfer.ablation) {
      out.push('### Why the published runs failed: one mistake at a time', '',
        ablationTable(transfer.ablation.rows));
    }
  }
  const strongest = stages.strongest;
  if (strongest) {
    out.push('## 8. The strongest model',
      `${link(strongest.run, strongestLabel(strongest))}: ${count(strongest.epochs, 'epoch')} on ${imagesText(strongest.images)} in ${formatDuration(strongest.seconds)}; test accuracy **${pct(strongest.testAcc)}** (single model, no test-time augmentation). \`fmnist evaluate --tta\` and \`fmnist ensemble\` score it with flips and with other seeds.`,
      '', image(runFile(strongest.run, 'curvesPng'), 'learning curves'), '');
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trim()}\n`;
}

/** Write `report.md` in the study folder (atomically) and return its path. */
export function writeStudyReport(profile: string, stages: StudyStages, outDir: string): string {
  const path = join(outDir, 'report.md');
  writeFileAtomic(path, studyReport(profile, stages, outDir));
  return path;
}
