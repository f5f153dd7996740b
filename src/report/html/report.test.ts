/**
 * The HTML report's sections from data made here: with nothing recorded every section says so;
 * transfer runs (issue #13's config keys base/mode/inputSize/weights) and a study's
 * transfer/ablation.json fill the transfer section and the published-study table, linked to the
 * run. (The full study's report is checked in src/pipeline/study.test.ts, and opened in Chromium in
 * src/web/browser.test.ts.)
 */
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTrainConfig, type TrainConfig } from '../../config.ts';
import { CLASS_NAMES } from '../../data/classes.ts';
import { computeMetrics } from '../../evaluate/metrics.ts';
import { RunStore } from '../../store/run_store.ts';
import { writeHtmlReport } from './report.ts';

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

test('with nothing recorded, every section is there and says there is nothing yet', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmnist-report-'));
  try {
    const html = readFileSync(await writeHtmlReport(join(dir, 'report.html'), { db: join(dir, 'none.db') }), 'utf8');
    const t = text(html);
    for (const line of ['no training runs yet', 'no evaluation yet', 'no tuning study yet', 'no cross-validation yet', 'no transfer runs yet']) assert.ok(t.includes(line), line);
    assert.match(t, /LeNet-5, default settings 89\.82% no run yet/);
    assert.doesNotMatch(html, /<script|src="(?!data:)|href="http/, 'self-contained');
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('transfer runs and the ablation table, each figure linked to its run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmnist-report-'));
  try {
    const db = join(dir, 'runs.db');
    const store = RunStore.open(db);
    const runDir = join(dir, 'runs', 'resnet-finetune');
    const config = { ...parseTrainConfig({ epochs: 2 }), base: 'resnet152v2', mode: 'finetune', inputSize: 96, weights: 'imagenet' } as TrainConfig;
    const id = store.startRun({ kind: 'train', outDir: runDir, config, meta: {} });
    store.finishRun(id, 'done', { metrics: { valAcc: 0.9 } });
    store.close();
    // Its evaluation, as `fmnist evaluate` writes it: 9 of 10 right.
    const truth = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const probs = new Float32Array(100);
    truth.forEach((t, i) => { probs[i * 10 + (i === 9 ? 0 : t)] = 1; });
    mkdirSync(join(runDir, 'eval-test'), { recursive: true });
    writeFileSync(join(runDir, 'eval-test', 'metrics.json'), JSON.stringify({ model: runDir, split: 'test', ...computeMetrics(probs, truth, CLASS_NAMES), files: {} }));
    const study = join(dir, 'study');
    mkdirSync(join(study, 'transfer'), { recursive: true });
    writeFileSync(join(study, 'study.json'), JSON.stringify({ profile: 'quick', stages: {} }));
    writeFileSync(join(study, 'transfer', 'ablation.json'), JSON.stringify({ rows: [
      { base: 'vgg16', setup: 'as published', mistake: 'no preprocessing', testAcc: 0.1, chance: true },
      { base: 'vgg16', setup: 'fixed', mistake: null, testAcc: 0.915, chance: false },
    ] }));

    const html = readFileSync(await writeHtmlReport(join(dir, 'report.html'), { db, study }), 'utf8');
    const t = text(html);
    assert.match(t, /resnet-finetune resnet152v2 finetune 96 imagenet done 90\.00%/, 'the bases-and-modes table');
    assert.match(t, /vgg16 as published no preprocessing 10\.00% chance level/);
    assert.match(t, /vgg16 fixed — 91\.50%/);
    assert.match(t, /transfer learning, ResNet152V2 72\.31% 90\.00% test \(\+17\.69 pp\) resnet152v2/);
    assert.match(t, /transfer learning, VGG16 10\.00% no transfer run of this family yet/);
    assert.match(html, new RegExp(`<a href="#run-${id}">90\\.00%</a>`), 'linked to the run');
    assert.match(html, new RegExp(`id="run-${id}"`), 'which has its section');
    assert.doesNotMatch(t, /no transfer runs yet/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('fmnist report: writes the file and prints its path; a bad --runs is one line and exit 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmnist-report-cli-'));
  const fmnist = (...args: string[]) => spawnSync(process.execPath, ['bin/fmnist.js', 'report', '--db', join(dir, 'none.db'), ...args], { encoding: 'utf8' });
  try {
    const out = join(dir, 'r.html');
    const ok = fmnist('--out', out);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, `report: ${out}\n`);
    assert.match(readFileSync(out, 'utf8'), /<h2>Against the published study<\/h2>/);
    const badRuns = fmnist('--runs', '3,x', '--out', out);
    assert.equal(badRuns.status, 2);
    assert.equal(badRuns.stderr.trim(), "fmnist: --runs takes run ids separated by commas (see 'fmnist runs list'), got '3,x'");
  } finally {
    rmSync(dir, { recursive: true });
  }
});
