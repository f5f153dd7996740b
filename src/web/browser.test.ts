/**
 * End to end in headless Chromium (Debian's `chromium`, driven by playwright-core): every page of
 * `fmnist serve` on a real (tiny) run, drawing on the canvas and uploading an image on "Try it"
 * (prediction and saliency appear, and agree with `fmnist predict`), a training in another process
 * watched live until it ends, and the report file opened from disk with no network.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { CLASS_NAMES } from '../data/classes.ts';
import { normalizationFor } from '../data/preprocess.ts';
import { evaluateModel } from '../evaluate/evaluate.ts';
import { predictImage } from '../evaluate/image_input.ts';
import { writeHtmlReport } from '../report/html/report.ts';
import { loadModel, readModelMetadata } from '../store/model_io.ts';
import { RunStore } from '../store/run_store.ts';
import { chromiumMissing, launchChromium } from './chromium.ts';
import { tinyRun, type TinyRun } from './fixture.ts';
import { startServer, type RunningServer } from './server.ts';

const skip = chromiumMissing();
let run: TinyRun;
let server: RunningServer;
let browser: Browser;

before(async () => {
  if (skip) return;
  run = await tinyRun('fmnist-browser-');
  await evaluateModel(run.runDir, 'test', run.data);
  server = await startServer({ db: run.db, port: 0 });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
  if (run) rmSync(run.work, { recursive: true, force: true });
});

/** A fresh page that fails the test on any script error. */
async function open(path: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on('pageerror', (err) => assert.fail(`script error on ${path}: ${err.message}`));
  await page.goto(server.url + path, { waitUntil: 'networkidle' });
  return page;
}

/** Every <img> on the page decoded (a broken chart or tile has naturalWidth 0). */
const allImagesLoaded = (page: Page) => page.$$eval('img', (imgs) => imgs.length > 0 && imgs.every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0));

test('runs: the list, comparing runs, a run\'s page with curves and evaluation', { skip }, async () => {
  const page = await open('/');
  assert.match(await page.textContent('#runs h2') ?? '', /Runs \(1 of 1\)/);
  await page.check(`input[name=ids][value="${run.runId}"]`);
  await Promise.all([page.waitForURL(/\/compare\?ids=/), page.click('text=Compare selected')]);
  await page.waitForLoadState('networkidle');
  assert.ok(await allImagesLoaded(page));
  assert.equal(await page.locator('img[alt="overlaid learning curves"]').count(), 1);

  await page.goto(`${server.url}/runs/${run.runId}`, { waitUntil: 'networkidle' });
  assert.ok(await allImagesLoaded(page));
  assert.equal(await page.locator('img[alt="confusion matrix"]').count(), 1);
  assert.match(await page.textContent('#evaluation') ?? '', /accuracy \d+\.\d\d% of 10,000 images/);
  // A filter that matches nothing says so.
  await page.goto(`${server.url}/?status=failed`);
  assert.match(await page.textContent('#runs') ?? '', /no run matches these filters/);
  await page.close();
});

test('try it: a drawing and an upload are classified in the page, with a saliency map; the upload agrees with fmnist predict', { skip }, async () => {
  const page = await open(`/try?run=${run.runId}`);
  await page.waitForSelector('body[data-model="ready"]');
  const box = (await page.locator('#pad').boundingBox())!;
  // A trouser: two legs.
  for (const x of [0.4, 0.6]) {
    await page.mouse.move(box.x + 0.5 * box.width, box.y + 0.15 * box.height);
    await page.mouse.down();
    await page.mouse.move(box.x + x * box.width, box.y + 0.9 * box.height, { steps: 10 });
    await page.mouse.up();
  }
  await page.waitForSelector('#saliency[data-ready="true"]');
  assert.equal(await page.locator('#top li').count(), 3);
  assert.match(await page.textContent('#saliency-kind') ?? '', /^Grad-CAM on conv/);
  const percents = (await page.$$eval('#top li', (lis) => lis.map((l) => l.textContent ?? ''))).map((t) => Number(/([\d.]+)%/.exec(t)![1]));
  assert.ok(percents[0] >= percents[1] && percents[1] >= percents[2] && percents[0] <= 100);

  // An upload: a test image as a PNG. The page's tfjs and the server's `fmnist predict` path agree.
  const file = join(run.work, 'upload.png');
  await sharp(Buffer.from(run.data.test.images.subarray(0, 784)), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(file);
  await page.evaluate(() => { document.getElementById('saliency')!.removeAttribute('data-ready'); });
  await page.setInputFiles('#upload', file);
  await page.waitForSelector('#saliency[data-ready="true"]');
  await page.waitForFunction(() => document.getElementById('server')?.dataset.top);
  const model = await loadModel(run.runDir);
  const probs = await predictImage(model, file, normalizationFor(readModelMetadata(run.runDir)));
  model.dispose();
  const best = probs.indexOf(Math.max(...probs));
  assert.equal(await page.getAttribute('body', 'data-predicted'), CLASS_NAMES[best], 'the page (tfjs in Chromium) and fmnist predict agree');
  assert.equal(await page.getAttribute('#server', 'data-top'), CLASS_NAMES[best]);
  assert.match(await page.textContent('#top li:first-child') ?? '', new RegExp(`${(probs[best] * 100).toFixed(1)}%`));
  await page.close();
});

test('data: browse a class of a split page by page, with per-class statistics', { skip }, async () => {
  const page = await open('/data?split=test&class=9');
  assert.equal(await page.locator('#tiles img').count(), 100);
  assert.ok(await allImagesLoaded(page));
  assert.match(await page.textContent('#stats') ?? '', /Ankle boot\s*6,000\s*1,000/);
  await Promise.all([page.waitForURL(/page=1/), page.click('#next')]);
  assert.match(await page.textContent('#browse') ?? '', /page 2 of 10/);
  await page.close();
});

test('live: a training in another process updates the page epoch by epoch until it ends', { skip, timeout: 120_000 }, async () => {
  const dir = join(run.work, 'runs', 'live');
  const child = spawn(process.execPath, ['bin/fmnist.js', '--backend', 'wasm', 'train', '--limit', '3000', '--epochs', '3', '--out', dir, '--db', run.db], { stdio: 'ignore' });
  try {
    let id: number | undefined;
    for (let i = 0; i < 600 && id === undefined; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const store = RunStore.openReadOnly(run.db);
      id = store.listRuns().find((r) => r.outDir === dir)?.id;
      store.close();
    }
    assert.ok(id, 'the training appeared in the store');
    const page = await browser.newPage();
    // Every epoch count the page shows, as it shows it.
    await page.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      new MutationObserver(() => {
        const v = document.getElementById('live')?.dataset.epochs;
        if (v && seen[seen.length - 1] !== v) seen.push(v);
      }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-epochs'] });
    });
    await page.goto(`${server.url}/live/${id}`);
    await page.waitForSelector('#live[data-state]', { timeout: 100_000 });
    assert.equal(await page.getAttribute('#live', 'data-state'), 'ended');
    assert.equal(await page.textContent('#status'), 'done');
    assert.equal(await page.textContent('#epoch'), '3');
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    assert.ok(seen.length >= 2 && seen.includes('3'), `the curve was updated while training: ${seen.join(' → ')}`);
    assert.ok(await allImagesLoaded(page));
    await page.close();
  } finally {
    child.kill();
  }
});

test('the report opens from disk with no network, every section present', { skip }, async () => {
  const path = await writeHtmlReport(join(run.work, 'report.html'), { db: run.db });
  const page = await browser.newPage();
  const remote: string[] = [];
  page.on('request', (r) => { if (!/^(file|data):/.test(r.url())) remote.push(r.url()); });
  await page.goto(`file://${path}`, { waitUntil: 'load' });
  assert.deepEqual(remote, [], 'no request leaves the file');
  assert.deepEqual(await page.$$eval('h2', (hs) => hs.map((h) => h.textContent)),
    ['Against the published study', 'Data', 'Training runs', 'Evaluation', 'Tuning', 'Cross-validation', 'Transfer learning']);
  assert.ok(await allImagesLoaded(page));
  const text = await page.textContent('main') ?? '';
  assert.match(text, /no tuning study yet/);
  assert.match(text, /no transfer runs yet/);
  assert.match(text, /LeNet-5, default settings\s*89\.82%\s*\d+\.\d\d% test/);
  await page.close();
});
