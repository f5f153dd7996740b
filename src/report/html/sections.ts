/**
 * The sections of the HTML report, each from collected data (collect.ts) to HTML. `fmnist serve`
 * renders its run and study pages with these same functions; `href` says where a run links to
 * (an anchor in the report file, a page in the app).
 */
import { existsSync, readFileSync } from 'node:fs';
import { CLASS_NAMES } from '../../data/classes.ts';
import { classCountsSpec } from '../../data/explore.ts';
import { chartToSvg } from '../../draw/charts.ts';
import { learningCurvesSpec } from '../../draw/learning_curves.ts';
import { confusionSpec } from '../../evaluate/evaluate.ts';
import { cvWinner } from '../../tune/cv.ts';
import { pct, pp } from '../../util/format.ts';
import { PUBLISHED, smokeTestNote } from '../study_report.ts';
import { parallelRows, parallelSpec, type ParallelTrial } from './charts.ts';
import {
  baseOf, modelOf, settingApplies, testAccuracy,
  type EvaluationView, type ReportData, type RunView, type TuneView, type CvView,
} from './collect.ts';
import { empty, emptyCell, esc, pngImage, section, svgImage, table } from './page.ts';

export type RunHref = (r: RunView) => string;

const link = (href: RunHref, r: RunView | undefined, text: string) => (r ? `<a href="${esc(href(r))}">${esc(text)}</a>` : esc(text));
const png = (path: string | undefined, alt: string) => (path && existsSync(path) ? pngImage(readFileSync(path), alt) : '');
const svgFile = (path: string | undefined, alt: string) => (path && existsSync(path) ? svgImage(readFileSync(path, 'utf8'), alt) : '');

/** Our figure beside each of the published study's, linked to the run behind it. */
export function publishedSection(d: ReportData, href: RunHref): string {
  const byDir = (dir: string | undefined) => d.runs.find((r) => r.outDir === dir);
  const ev = d.study?.stages.evaluate;
  const trainRun = byDir(d.study?.stages.train?.outDir) ?? d.runs.filter((r) => !baseOf(r) && (r.config.model ?? 'lenet5') === 'lenet5' && testAccuracy(r) !== undefined)
    .sort((a, b) => testAccuracy(b)! - testAccuracy(a)!)[0];
  const defaultAcc = ev?.accuracy ?? (trainRun && testAccuracy(trainRun));
  const tune = d.tunes[0]?.state;
  const tunedRun = byDir(tune?.final?.outDir);
  const cv = d.cvs[0]?.result;
  const ours = (v: number | undefined, published: number, run: RunView | undefined) =>
    v === undefined ? emptyCell('no run yet') : `${link(href, run, pct(v))} test <span class="muted">(${pp(v - published)})</span>`;
  const rows = [
    ['LeNet-5, default settings', pct(PUBLISHED.lenet5), ours(defaultAcc, PUBLISHED.lenet5, trainRun)],
    ['LeNet-5, tuned', pct(PUBLISHED.tuned), ours(tune?.final?.testAccuracy, PUBLISHED.tuned, tunedRun)],
    ['LeNet-5, cross-validation', 'not reported', cv ? cv.summaries.map((s) => `${esc(s.config)} ${pct(s.mean)} ± ${(s.std * 100).toFixed(2)}`).join(', ') : emptyCell('no cross-validation yet')],
    ...Object.entries(PUBLISHED.transfer).map(([base, acc]) => {
      const family = base.replace(/\d.*$/, '').toLowerCase(); // ResNet152V2 → resnet, VGG16 → vgg
      const best = d.transfer.filter((r) => baseOf(r)!.toLowerCase().includes(family) && testAccuracy(r) !== undefined).sort((a, b) => testAccuracy(b)! - testAccuracy(a)!)[0];
      return [`transfer learning, ${base}`, pct(acc), best ? `${ours(testAccuracy(best), acc, best)} <span class="muted">${esc(baseOf(best))}</span>` : emptyCell('no transfer run of this family yet')];
    }),
  ];
  // Each run's test score read once (it comes from its evaluation file), then best first.
  const ranked = d.runs.map((run) => ({ run, acc: testAccuracy(run) })).filter((r): r is { run: RunView; acc: number } => r.acc !== undefined).sort((a, b) => b.acc - a.acc);
  const recipeOf = (r: RunView) => (typeof r.config.recipe === 'string' ? `recipe ${r.config.recipe}` : baseOf(r) ? String(r.config.mode ?? '') : 'settings of its own');
  const top = ranked[0];
  if (top) rows.push(['our best model', 'not in the study', `${link(href, top.run, pct(top.acc))} test <span class="muted">${esc(modelOf(top.run))}, ${esc(recipeOf(top.run))}</span>`]);
  const ranking = ranked.length > 1
    ? `<h3>Our models, best first</h3>${table(['rank', 'run', 'model', 'recipe or mode', 'test accuracy'], ranked.slice(0, RANKED_ROWS).map(({ run, acc }, i) => [String(i + 1), link(href, run, run.name), esc(modelOf(run)), esc(recipeOf(run)), pct(acc)]))}`
    : '';
  const smoke = smokeTestNote(d.study?.profile);
  const smokeNote = smoke ? `<p class="warning" id="smoke-test">${esc(smoke)}</p>` : '';
  return section('published', 'Against the published study', smokeNote
    + '<p class="muted">The published study reported validation accuracy of a Keras notebook; '
    + 'ours are test-set accuracies, each linked to the run that produced it.</p>'
    + table(['', 'published study', 'ours (difference)'], rows.map(([a, b, c]) => [esc(a), b, c])) + ranking);
}

/** How many runs the ranking lists (a store of many experiments would otherwise fill the page). */
const RANKED_ROWS = 15;

export async function dataSection(d: ReportData): Promise<string> {
  const e = d.explore?.summary;
  if (!e) return section('data', 'Data', empty("no data exploration yet: run 'fmnist explore' or 'fmnist study'"));
  const classes = Object.keys(e.counts.train ?? {});
  const counts = table(['class', ...Object.keys(e.counts)], classes.map((c) => [esc(c), ...Object.keys(e.counts).map((s) => String(e.counts[s][c]))]), 'num');
  const px = Object.entries(e.pixel).map(([s, p]) => `${esc(s)}: mean ${p.mean.toFixed(4)}, std ${p.std.toFixed(4)}`).join('; ');
  const dup = e.duplicates;
  return section('data', 'Data', `<p>${esc(e.data.dir)}: ${e.data.official ? 'the official files (SHA-256 checked)' : '<b>not</b> the official files'}. Pixels (0–1) ${px}. Exact duplicate images: ${dup.withinTrain} within train, ${dup.withinTest} within test, ${dup.acrossSplits} across the splits (${dup.conflictingLabels} with conflicting labels).</p>`
    + `<div class="row">${counts}${svgImage(await chartToSvg(classCountsSpec(e.counts)), 'images per class')}</div>`
    + png(e.figures.samples, 'training samples per class') + png(e.figures.meanImages, 'mean image per class') + png(e.figures.pixelHistograms, 'pixel histograms'));
}

/** The settings worth a glance in a run's header. */
const KEY_SETTINGS = ['mode', 'epochs', 'batchSize', 'lr', 'optimizer', 'schedule', 'weightDecay', 'dropout',
  'augmentShift', 'limit', 'seed'];

/** `curves` wraps the learning-curves chart (the app makes it interactive). */
export async function runBlock(r: RunView, href: RunHref, anchor: string, curves = (c: string) => c): Promise<string> {
  const shown = KEY_SETTINGS.filter((k) => r.config[k] !== undefined && r.config[k] !== null
    && settingApplies(r.config, k));
  const settings = [`model <b>${esc(modelOf(r))}</b>`, ...shown.map((k) => `${k} <b>${esc(r.config[k])}</b>`)]
    .join(' · ');
  const fin = r.final ? Object.entries(r.final).map(([k, v]) => `${esc(k)} ${k.toLowerCase().includes('acc') ? pct(v) : v.toFixed(4)}`).join(' · ') : '';
  const chart = r.epochs.length
    ? curves(svgImage(await chartToSvg(learningCurvesSpec(r.epochs)), `learning curves of ${r.name}`))
    : empty('no epoch finished yet');
  return `<h3 id="${esc(anchor)}">${link(href, r, r.name)} <span class="muted">${esc(r.kind)}${r.id !== null ? ` #${r.id}` : ''} · ${esc(r.status)}${r.seconds ? ` · ${Math.round(r.seconds)} s` : ''}</span></h3>`
    + `<p class="muted">${esc(r.outDir ?? '')}</p><p>${settings}</p>${fin ? `<p>${fin}</p>` : ''}${chart}`;
}

export const runAnchor = (r: RunView) => `run-${r.id ?? r.name}`;

export async function runsSection(d: ReportData, href: RunHref): Promise<string> {
  // Every run the report links to has its block here, transfer runs included.
  if (!d.runs.length) return section('runs', 'Training runs', empty('no training runs yet'));
  return section('runs', 'Training runs', (await Promise.all(d.runs.map((r) => runBlock(r, href, runAnchor(r))))).join(''));
}

export async function evaluationBlock(e: EvaluationView, href: RunHref): Promise<string> {
  const m = e.report;
  const perClass = table(['class', 'precision', 'recall', 'F1', 'support'],
    m.perClass.map((c) => [esc(c.className), c.precision.toFixed(4), c.recall.toFixed(4), c.f1.toFixed(4), String(c.support)]), 'num');
  return `<h3>${link(href, e.run, e.run.name)}: ${esc(m.split)} set</h3><p>accuracy <b>${pct(m.accuracy)}</b> of ${m.count.toLocaleString('en')} images, macro F1 ${m.macroF1.toFixed(4)}, loss ${m.loss.toFixed(4)}</p>`
    + `<div class="row">${svgImage(await chartToSvg(confusionSpec(m, m.split)), 'confusion matrix')}${perClass}</div>`
    + png(m.files?.mistakesPng, 'most confidently wrong images');
}

export async function evaluationSection(d: ReportData, href: RunHref): Promise<string> {
  if (!d.evaluations.length) return section('evaluation', 'Evaluation', empty("no evaluation yet: run 'fmnist evaluate <run folder>'"));
  return section('evaluation', 'Evaluation', (await Promise.all(d.evaluations.map((e) => evaluationBlock(e, href)))).join(''));
}

/** The parallel-coordinates chart and its rows, for the app to make brushable (the report shows the chart). */
export type ParallelWrap = (chart: string, data: ReturnType<typeof parallelRows>) => string;

export async function tuneBlock(t: TuneView, wrapParallel: ParallelWrap = (chart) => chart): Promise<string> {
  const s = t.state;
  const keys = s.settings.space.params.map((p) => p.key);
  const logs = s.settings.space.params.map((p) => ({ key: p.key, log: p.dist.type === 'loguniform' || (p.dist.type === 'int' && Boolean(p.dist.log)) }));
  const fmt = (v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? v.toPrecision(3) : String(v));
  const best = s.trials.find((tr) => tr.number === s.best);
  const nameCell = (tr: (typeof s.trials)[number]) => `<span class="nowrap" data-trial="${esc(tr.name)}">`
    + `${esc(tr.name)}${tr.start ? ' <span class="muted">(start)</span>' : ''}`
    + `${tr.number === s.best ? ' <span class="good">best</span>' : ''}</span>`;
  const rows = s.trials.map((tr) => [nameCell(tr), esc(tr.state), pct(tr.objective), String(tr.values.length),
    ...keys.map((k) => esc(fmt(tr.params[k])))]);
  const done = s.trials.filter((tr) => tr.state === 'done' && Number.isFinite(tr.objective));
  const trials: ParallelTrial[] = done.map((tr) => ({ name: tr.name, accuracy: tr.objective!, params: tr.params }));
  const parallel = done.length >= 2
    ? wrapParallel(svgImage(await chartToSvg(parallelSpec(trials, logs)), 'parallel coordinates'),
      parallelRows(trials, logs))
    : empty('parallel coordinates need two finished trials');
  const final = s.final ? `<p>Best configuration retrained on ${s.final.trainImages.toLocaleString('en')} images: test accuracy <b>${pct(s.final.testAccuracy)}</b>, macro F1 ${s.final.macroF1.toFixed(4)}.</p>` : '';
  return `<h3>${esc(s.id)} <span class="muted">${esc(t.dir)} · ${esc(s.settings.strategy)}, ${s.trials.length} trials${best ? ` · best ${esc(best.name)} ${pct(best.objective)}` : ''}</span></h3>${final}`
    + table(['trial', 'state', 'val acc', 'epochs', ...keys], rows) + parallel
    + svgFile(`${t.dir}/params.svg`, 'hyperparameters against validation accuracy')
    + svgFile(`${t.dir}/history.svg`, 'optimisation history');
}

export async function tuningSection(d: ReportData): Promise<string> {
  if (!d.tunes.length) return section('tuning', 'Tuning', empty("no tuning study yet: run 'fmnist tune' or 'fmnist study'"));
  return section('tuning', 'Tuning', (await Promise.all(d.tunes.map((t) => tuneBlock(t)))).join(''));
}

export function cvBlock(c: CvView): string {
  const r = c.result;
  const labels = r.summaries.map((s) => s.config);
  const paired = r.summaries.length === 2;
  const rows = r.summaries[0].folds.map((_, f) => [String(f + 1), ...r.summaries.map((s) => pct(s.folds[f])), ...(paired ? [pp(r.summaries[1].folds[f] - r.summaries[0].folds[f])] : [])]);
  rows.push(['mean ± std', ...r.summaries.map((s) => `${pct(s.mean)} ± ${(s.std * 100).toFixed(2)}`), ...(paired ? [pp(r.summaries[1].mean - r.summaries[0].mean)] : [])]);
  rows.push(['95% CI (corrected)', ...r.summaries.map((s) => `${pct(s.ci95.low)} – ${pct(s.ci95.high)}`), ...(paired && r.comparison ? [`${pp(r.comparison.ci.low)} – ${pp(r.comparison.ci.high)}`] : [])]);
  const c2 = r.comparison;
  const verdict = c2 ? (() => {
    const winner = cvWinner(c2);
    return `<p>${esc(c2.second)} − ${esc(c2.first)}: corrected resampled t-test (Nadeau &amp; Bengio) t = ${c2.t.toFixed(3)}, df = ${c2.df}, p = ${c2.p.toPrecision(3)}: ${winner ? `<span class="good">${esc(winner)} is better</span> at the 5% level` : 'no significant difference at the 5% level'}.</p>`;
  })() : '<p class="muted">One configuration: nothing to compare.</p>';
  return `<h3>${esc(r.id)} <span class="muted">${esc(c.dir)} · ${r.folds} folds, each trained on ${Math.round(r.sizes.train).toLocaleString('en')} images</span></h3>`
    + table(['fold', ...labels, ...(paired ? ['difference'] : [])], rows, 'num') + verdict + svgFile(r.files?.chartSvg, 'held-out accuracy per fold');
}

export function cvSection(d: ReportData): string {
  if (!d.cvs.length) return section('cv', 'Cross-validation', empty("no cross-validation yet: run 'fmnist cv' or 'fmnist study'"));
  return section('cv', 'Cross-validation', d.cvs.map(cvBlock).join(''));
}

export function transferSection(d: ReportData, href: RunHref): string {
  const runs = d.transfer.length
    ? table(['run', 'base', 'mode', 'input size', 'weights', 'status', 'test accuracy'], d.transfer.map((r) => [link(href, r, r.name), esc(baseOf(r)), esc(r.config.mode ?? ''), esc(r.config.inputSize ?? ''), esc(r.config.weights ?? 'none'), esc(r.status), pct(testAccuracy(r))]))
    : empty('no transfer runs yet');
  const ablation = d.ablation?.length
    ? '<h3>Ablation: the published study\'s mistakes, one at a time</h3>' + table(['base', 'setup', 'mistake', 'test accuracy', ''], d.ablation.map((a) => [esc(a.base), esc(a.setup), esc(a.mistake ?? '—'), pct(a.testAcc), a.chance ? '<span class="bad">chance level</span>' : '']))
    : '';
  return section('transfer', 'Transfer learning', runs + ablation);
}
