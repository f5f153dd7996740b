import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { studyReport, writeStudyReport, type StudyStages } from './study_report.ts';

const dir = '/runs/study';
const interval = (mid: number, halfWidth: number) => ({ low: mid - halfWidth, high: mid + halfWidth, halfWidth, level: 0.95 });
const summary = (config: string, folds: number[]) => {
  const mean = folds.reduce((a, b) => a + b, 0) / folds.length;
  return { config, source: config, folds, mean, std: 0.01, ci95: interval(mean, 0.02), naiveCi95: interval(mean, 0.01) };
};

const stages: StudyStages = {
  data: { dir: '/data', official: true, train: 60000, test: 10000 },
  evaluate: { accuracy: 0.9168, loss: 0.2349, macroF1: 0.9165, files: { confusionPng: `${dir}/lenet5/eval-test/confusion.png`, mistakesPng: `${dir}/lenet5/eval-test/mistakes.png` } },
  tune: {
    strategy: 'hyperband', counts: { done: 5, pruned: 3 },
    best: { name: 'trial-007', params: { lr: 0.00123456, batchSize: 64, augmentFlip: true }, objective: 0.9123 },
    final: { testAccuracy: 0.9101, macroF1: 0.91, trainImages: 60000 },
    files: { trials: `${dir}/tune/trials.csv`, bestConfig: `${dir}/tune/best_config.json`, historyPng: `${dir}/tune/history.png`, paramsPng: `${dir}/tune/params.png` },
  },
  cv: {
    sizes: { val: 6000, train: 54000 },
    summaries: [summary('default', [0.91, 0.92, 0.90]), summary('tuned', [0.92, 0.92, 0.89])],
    comparison: { first: 'default', second: 'tuned', n: 3, meanDiff: 0, stdDiff: 0.01, testTrainRatio: 0.111, t: 0, df: 2, p: 1, ci: interval(0, 0.03) },
    files: { chartPng: `${dir}/cv/folds.png` },
  },
};

test('the report shows each reached stage with figures linked relative to the study folder', () => {
  const md = studyReport('full', stages, dir);
  assert.match(md, /^# Fashion-MNIST study \(full profile\)\n/);
  assert.match(md, /60,000 training and 10,000 test images .* the official files/);
  assert.match(md, /Accuracy \*\*91\.68%\*\*/);
  assert.ok(md.includes('![confusion matrix](lenet5/eval-test/confusion.png)'));
  assert.match(md, /Strategy hyperband \(5 done, 3 pruned\)/);
  assert.ok(md.includes('| lr | 0.00123 |') && md.includes('| augmentFlip | true |'), 'best parameters as a table');
  assert.match(md, /test accuracy \*\*91\.01%\*\*/);
  // Stages not reached are left out, not shown empty.
  assert.ok(!md.includes('## 2. Exploration') && !md.includes('## 3. LeNet-5'));
});

test('the CV table has one row per fold, the paired difference, and the t-test verdict', () => {
  const md = studyReport('full', stages, dir);
  assert.ok(md.includes('| fold | default | tuned | difference |'));
  assert.ok(md.includes('| 1 | 91.00% | 92.00% | +1.00 pp |'));
  assert.ok(md.includes('| 3 | 90.00% | 89.00% | -1.00 pp |'));
  assert.ok(md.includes('| mean ± std | 91.00% ± 1.00 | 91.00% ± 1.00 | +0.00 pp |'));
  assert.match(md, /p = 1\.00: no significant difference at the 5% level/);
  const better = studyReport('full', { cv: { ...stages.cv!, comparison: { ...stages.cv!.comparison!, meanDiff: -0.01, p: 0.01 } } }, dir);
  assert.match(better, /\*\*default is better\*\* at the 5% level/);
});

test('the headline puts every figure beside the published study\'s, and says what is not reached yet', () => {
  const md = studyReport('standard', { ...stages, train: { outDir: `${dir}/lenet5`, epochs: 30, bestEpoch: 27, final: { valAcc: 0.9215 }, seconds: 300 } }, dir);
  assert.ok(md.includes('| LeNet-5, default settings | 89.82% | 92.15% validation (+2.33 pp), **91.68%** test (+1.86 pp) |'));
  assert.ok(md.includes('| LeNet-5, tuned | 89.40% | 91.23% validation (+1.83 pp), **91.01%** test (+1.61 pp) (best of 8 trials, retrained on 60,000 images) |'));
  assert.ok(md.includes('| LeNet-5, cross-validation | not reported | default 91.00% ± 1.00, tuned 91.00% ± 1.00 (3 folds of 60,000 images) |'));
  assert.ok(md.includes('| transfer learning, VGG16 | 10.00% | not reached yet |'));
  const row = { name: 'vgg16', label: 'VGG16', base: 'vgg16', mode: 'scratch', inputSize: 32, weights: null, images: 10000, epochs: 8, seconds: 2400, testAcc: 0.8712, published: 0.1, run: `${dir}/transfer/vgg16`, note: 'no ImageNet weights offline: from scratch' };
  const withTransfer = studyReport('full', { ...stages, transfer: { rows: [row], ablation: null } }, dir);
  assert.ok(withTransfer.includes('| transfer learning, VGG16 | 10.00% | **87.12%** test (+77.12 pp), scratch (no ImageNet weights offline: from scratch), 32x32, 10,000 training images |'));
  assert.match(withTransfer, /## 7\. Transfer learning[\s\S]*\| \[VGG16\]\(transfer\/vgg16\) \| scratch/);
  const early = studyReport('standard', { data: stages.data }, dir);
  assert.ok(early.includes('| LeNet-5, default settings | 89.82% | not reached yet |'));
  assert.ok(early.indexOf('## Against the published study') < early.indexOf('## 1. Data'), 'the comparison comes first');
});

test('the strongest model has its row, its section, and the ranking puts every tested model best first', () => {
  const train = { outDir: `${dir}/lenet5`, epochs: 30, bestEpoch: 27, final: { valAcc: 0.9215 }, seconds: 300 };
  const transfer = { rows: [{ name: 'mobilenet-features', label: 'MobileNet 0.25', base: 'mobilenet', mode: 'features', inputSize: 64, weights: null, images: null, epochs: 20, seconds: 600, testAcc: 0.8429, published: null, run: `${dir}/transfer/mobilenet-features`, note: null }], ablation: null };
  const strongest = { recipe: 'best', model: 'resnet9_s', images: null, epochs: 26, seconds: 3900, testAcc: 0.9461, run: `${dir}/strongest` };
  const md = studyReport('full', { ...stages, train, tune: { ...stages.tune!, final: { ...stages.tune!.final!, outDir: `${dir}/tune/final-trial-007` } }, transfer, strongest }, dir);
  assert.ok(md.includes('| the strongest model, resnet9_s (recipe best) | not in the study | **94.61%** test, 26 epochs, all 60,000 training images |'));
  assert.ok(md.includes([
    '| rank | model | test accuracy |', '|---|---|---|',
    '| 1 | [resnet9_s (recipe best)](strongest) | **94.61%** |',
    '| 2 | [LeNet-5, default settings](lenet5) | 91.68% |',
    '| 3 | [LeNet-5, tuned](tune/final-trial-007) | 91.01% |',
    '| 4 | [MobileNet 0.25, features](transfer/mobilenet-features) | 84.29% |',
  ].join('\n')), md);
  assert.match(md, /## 8\. The strongest model\n\[resnet9_s \(recipe best\)\]\(strongest\): 26 epochs on all 60,000 training images in 1h05m; test accuracy \*\*94\.61%\*\*/);
  assert.ok(!studyReport('full', { data: stages.data }, dir).includes('Our models, best first'), 'no ranking of fewer than two models');
});

test('tuning that kept its starting configuration says so', () => {
  const kept = studyReport('full', { tune: { ...stages.tune!, epochs: 30, start: { name: 'trial-000', objective: 0.9215 }, best: { name: 'trial-000', params: {}, objective: 0.9215 } } }, dir);
  assert.match(kept, /30 epochs per trial at most/);
  assert.match(kept, /Best: trial-000, validation accuracy 92\.15% — the default configuration itself: no trial beat it/);
  assert.match(kept, /\| LeNet-5, tuned \| 89\.40% \| 92\.15% validation \(\+2\.75 pp\), \*\*91\.01%\*\* test \(\+1\.61 pp\) \(best of 8 trials of 30 epochs, retrained on 60,000 images; tuning kept the default settings\) \|/);
  const alone = studyReport('full', { tune: { ...stages.tune!, start: { name: 'trial-000', objective: 0.92 }, best: { name: 'trial-000', params: {}, objective: 0.92 } }, cv: { ...stages.cv!, summaries: [stages.cv!.summaries[0]], comparison: null } }, dir);
  assert.match(alone, /Tuning kept the default configuration, so "tuned" and "default" are one configuration/);
  assert.ok(!studyReport('full', stages, dir).includes('Tuning kept the default configuration'), 'not said when tuning found another configuration');
  const beat = studyReport('full', { tune: { ...stages.tune!, start: { name: 'trial-000', objective: 0.91 } } }, dir);
  assert.match(beat, /Best: trial-007, validation accuracy 91\.23%; the default configuration \(trial-000\): 91\.00%, \+0\.23 pp/);
});

test('writeStudyReport writes report.md in the study folder', () => {
  const out = mkdtempSync(join(tmpdir(), 'fmnist-report-'));
  const path = writeStudyReport('quick', { data: stages.data }, out);
  assert.equal(path, join(out, 'report.md'));
  assert.match(readFileSync(path, 'utf8'), /## 1\. Data/);
});
