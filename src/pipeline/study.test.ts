/**
 * The study pipeline end to end, as `npm start` runs it but at the quick profile's size: every
 * stage reached, the report headed by the published study's figures, tuning started from the
 * defaults, and a rerun that resumes every stage instead of repeating it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const fmnist = (...args: string[]) => run(process.execPath, ['bin/fmnist.js', '--backend', 'wasm', ...args], { maxBuffer: 64 << 20 });

test('fmnist study --profile quick: eight stages, a report against the published study, and a rerun that repeats nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmnist-study-'));
  const out = join(dir, 'study');
  const args = ['--json', 'study', '--profile', 'quick', '--out', out, '--db', join(dir, 'runs.db')];
  const first = await fmnist(...args);
  const result = JSON.parse(first.stdout) as { report: string; stages: Record<string, unknown> };
  assert.deepEqual(Object.keys(result.stages), ['data', 'explore', 'train', 'evaluate', 'tune', 'cv', 'transfer', 'strongest']);
  const transfer = result.stages.transfer as { rows: { base: string; mode: string; testAcc: number; run: string }[] };
  assert.deepEqual(transfer.rows.map((r) => [r.base, r.mode]), [['mobilenet', 'features']]);
  assert.ok(transfer.rows[0].testAcc > 0.5, `a pretrained base's features learn (${transfer.rows[0].testAcc})`);

  const strongest = result.stages.strongest as { recipe: string; model: string; epochs: number; images: number; testAcc: number; run: string };
  assert.deepEqual([strongest.recipe, strongest.model, strongest.epochs, strongest.images], ['fast', 'resnet9_s', 2, 3000]);
  assert.ok(strongest.testAcc > 0.4 && strongest.testAcc <= 1, `the residual network learns in two epochs (${strongest.testAcc})`);

  const tune = result.stages.tune as { start: { name: string } | null; best: { name: string } | null; counts: Record<string, number> };
  assert.equal(tune.start?.name, 'trial-000', 'trial 0 is the starting configuration');
  assert.equal(Object.values(tune.counts).reduce((a, b) => a + b, 0), 6);
  const cv = result.stages.cv as { summaries: { config: string; folds: number[] }[] };
  // Tuning kept the defaults → the CV scores them alone; otherwise it compares default with tuned.
  assert.deepEqual(cv.summaries.map((s) => s.config), tune.best?.name === 'trial-000' ? ['default'] : ['default', 'tuned']);
  assert.ok(cv.summaries.every((s) => s.folds.length === 3 && s.folds.every((a) => a > 0.3 && a <= 1)), 'three real fold scores');

  const md = readFileSync(result.report, 'utf8');
  // The ranking lists every tested model once, best first.
  const ranked = [...md.matchAll(/^\| (\d+) \| \[([^\]]+)\]\([^)]+\) \| \**(\d+\.\d\d)%/gm)].map((m) => [Number(m[1]), m[2], Number(m[3])] as const);
  assert.deepEqual(ranked.map((r) => r[0]), [1, 2, 3, 4].slice(0, ranked.length));
  assert.ok(ranked.length >= 3 && ranked.some((r) => r[1] === 'resnet9_s (recipe fast)'), md);
  assert.deepEqual(ranked.map((r) => r[2]), ranked.map((r) => r[2]).sort((a, b) => b - a), 'best first');
  assert.equal(result.report, join(out, 'report.md'));
  assert.match(md, /^# Fashion-MNIST study \(quick profile\)\n\n## Against the published study\n/);
  assert.match(md, /\| LeNet-5, default settings \| 89\.82% \| \d+\.\d\d% validation \([+-]\d+\.\d\d pp\), \*\*\d+\.\d\d%\*\* test/);
  for (const section of ['## 1. Data', '## 2. Exploration', '## 3. LeNet-5', '## 4. Test set', '## 5. Tuning', '## 6. Cross-validation', '## 7. Transfer learning', '## 8. The strongest model']) assert.ok(md.includes(section), section);

  // report.html beside report.md: self-contained (no script, nothing fetched), every section filled.
  assert.equal((result as unknown as { htmlReport: string }).htmlReport, join(out, 'report.html'));
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  for (const h of ['Against the published study', 'Data', 'Training runs', 'Evaluation', 'Tuning', 'Cross-validation', 'Transfer learning']) assert.ok(html.includes(`<h2>${h}</h2>`), h);
  assert.doesNotMatch(html, /<script|<link|src="(?!data:)/);
  assert.match(html, /alt="parallel coordinates"/);
  assert.match(html, /alt="confusion matrix"/);
  assert.match(html, /<h3>Our models, best first<\/h3>/);
  assert.match(html, /<td>resnet9_s<\/td><td>recipe fast<\/td>/);
  // Stage 7's run is in the transfer table: base, mode, input size, weights (Keras' MobileNet 0.25 file).
  assert.match(html, /<td>mobilenet<\/td><td>features<\/td><td>64<\/td><td>[^<]*mobilenet_2_5_224_tf_no_top\.h5<\/td>/);

  const second = await fmnist(...args);
  assert.match(second.stderr, /already trained/);
  assert.match(second.stderr, /resuming study tune-study-[0-9a-f]{4}: 6 trials finished \(skipped\), 0 to continue/);
  assert.match(second.stderr, /final model already trained and tested/);
  assert.match(second.stderr, /already trained and tested: .*transfer/);
  assert.match(second.stderr, /already trained and tested: .*strongest/);
  assert.doesNotMatch(second.stderr, /epoch 1\/3/, 'nothing is trained again');
  assert.deepEqual(JSON.parse(second.stdout).stages, JSON.parse(first.stdout).stages);
  rmSync(dir, { recursive: true });
});
