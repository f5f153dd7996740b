/**
 * End to end in headless Chromium (Debian's `chromium`, driven by playwright-core): every page of
 * `fmnist serve` on a real (tiny) run, drawing on the canvas and uploading an image on "Try it"
 * (prediction and saliency appear, and agree with `fmnist predict`), a training in another process
 * watched live until it ends, and the report file opened from disk with no network.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
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
import { recordSweep, tinyRun, trainRun, writeTuneStudy, type TinyRun } from './fixture.ts';
import { startServer, type RunningServer } from './server.ts';

const skip = chromiumMissing();
let run: TinyRun;
/** A residual model (ResNet-9-xs, one short epoch): Grad-CAM must follow its skip connections. */
let resnet: { runId: number; runDir: string };
let server: RunningServer;
let browser: Browser;

before(async () => {
  if (skip) return;
  run = await tinyRun('fmnist-browser-');
  await evaluateModel(run.runDir, 'test', run.data);
  resnet = await trainRun(run, 'resnet', { model: 'resnet9_xs', limit: 256, epochs: 1, batchSize: 64 });
  // A study folder with a tuning study of eight settings, as `fmnist study` leaves one.
  const study = join(run.work, 'study');
  writeTuneStudy(join(study, 'tune'));
  writeFileSync(join(study, 'study.json'), JSON.stringify({ profile: 'standard', stages: {} }));
  server = await startServer({ db: run.db, port: 0, study });
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
const allImagesLoaded = (page: Page) =>
  page.$$eval(
    'img',
    (imgs) =>
      imgs.length > 0 &&
      imgs.every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0),
  );

test("runs: the list, comparing runs, a run's page with curves and evaluation", { skip }, async () => {
  const page = await open('/');
  assert.match((await page.textContent('#runs h2')) ?? '', /Runs \(2 of 2\)/);
  // Sort by a header; add a setting's column from the Columns menu.
  await Promise.all([page.waitForURL(/sort=valAcc/), page.click('a.sort[data-col="valAcc"]')]);
  assert.equal(await page.getAttribute('a.sort[data-col="valAcc"]', 'aria-sort'), 'descending');
  await page.click('details.columns summary');
  await page.check('input[name="cols"][value="setting:lr"]');
  await Promise.all([page.waitForURL(/cols=setting%3Alr/), page.click('text=Show these columns')]);
  assert.equal(await page.locator('a.sort[data-col="setting:lr"]').count(), 1);
  assert.equal(await page.getAttribute('a.sort[data-col="valAcc"]', 'aria-sort'), 'descending', 'the sort kept');
  await page.check(`input[name=ids][value="${run.runId}"]`);
  await Promise.all([page.waitForURL(/\/compare\?ids=/), page.click('text=Compare selected')]);
  await page.waitForLoadState('networkidle');
  // The static chart replaced by the interactive one.
  await page.waitForSelector('[data-chart][data-ready] svg.ichart path');
  assert.equal(await page.locator('img').count(), 0);

  await page.goto(`${server.url}/runs/${run.runId}`, { waitUntil: 'networkidle' });
  assert.ok(await allImagesLoaded(page));
  assert.equal(await page.locator('img[alt="confusion matrix"]').count(), 1);
  assert.match((await page.textContent('#evaluation')) ?? '', /accuracy \d+\.\d\d% of 10,000 images/);
  // A filter that matches nothing says so.
  await page.goto(`${server.url}/?status=failed`);
  assert.match((await page.textContent('#runs')) ?? '', /no run matches these filters/);
  await page.close();
});

test(
  'try it: a drawing and an upload are classified in the page, with saliency; the upload agrees with fmnist predict',
  { skip },
  async () => {
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
    assert.match((await page.textContent('#saliency-kind')) ?? '', /^Grad-CAM on conv/);
    const percents = (await page.$$eval('#top li', (lis) => lis.map((l) => l.textContent ?? ''))).map((t) =>
      Number(/([\d.]+)%/.exec(t)![1]),
    );
    assert.ok(percents[0] >= percents[1] && percents[1] >= percents[2] && percents[0] <= 100);

    // An upload: a test image as a PNG. The page's tfjs and the server's `fmnist predict` path agree.
    const file = join(run.work, 'upload.png');
    await sharp(Buffer.from(run.data.test.images.subarray(0, 784)), { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toFile(file);
    await page.evaluate(() => {
      document.getElementById('saliency')!.removeAttribute('data-ready');
    });
    await page.setInputFiles('#upload', file);
    await page.waitForSelector('#saliency[data-ready="true"]');
    await page.waitForFunction(() => document.getElementById('server')?.dataset.top);
    const model = await loadModel(run.runDir);
    const probs = await predictImage(model, file, normalizationFor(readModelMetadata(run.runDir)));
    model.dispose();
    const best = probs.indexOf(Math.max(...probs));
    assert.equal(
      await page.getAttribute('body', 'data-predicted'),
      CLASS_NAMES[best],
      'the page (tfjs in Chromium) and fmnist predict agree',
    );
    assert.equal(await page.getAttribute('#server', 'data-top'), CLASS_NAMES[best]);
    assert.match(
      (await page.textContent('#top li:first-child')) ?? '',
      new RegExp(`${(probs[best] * 100).toFixed(1)}%`),
    );
    await page.close();
  },
);

/** Two legs of a trouser drawn on the pad. */
async function drawTrouser(page: Page): Promise<void> {
  const box = (await page.locator('#pad').boundingBox())!;
  for (const x of [0.4, 0.6]) {
    await page.mouse.move(box.x + 0.5 * box.width, box.y + 0.15 * box.height);
    await page.mouse.down();
    await page.mouse.move(box.x + x * box.width, box.y + 0.9 * box.height, { steps: 10 });
    await page.mouse.up();
  }
}

/** The pad's grey level (0–255) at fractions (fx, fy) of its size. */
const padAt = (page: Page, fx: number, fy: number) =>
  page.$eval(
    '#pad',
    (c, [x, y]) => {
      const canvas = c as HTMLCanvasElement;
      return canvas.getContext('2d')!.getImageData(Math.round(x * canvas.width), Math.round(y * canvas.height), 1, 1)
        .data[1];
    },
    [fx, fy],
  );

/** The page's top class and its percentage as shown. */
async function shownTop(page: Page): Promise<{ name: string; percent: string }> {
  const text = (await page.textContent('#top li:first-child')) ?? '';
  const m = /^(.+?) ([\d.]+)%/.exec(text)!;
  return { name: m[1], percent: m[2] };
}

/** `fmnist predict`'s answer for a file with a run's model: top class and percentage to 0.1. */
async function predictTop(dir: string, file: string): Promise<{ name: string; percent: string }> {
  const model = await loadModel(dir);
  const probs = await predictImage(model, file, normalizationFor(readModelMetadata(dir)));
  model.dispose();
  const best = probs.indexOf(Math.max(...probs));
  return { name: CLASS_NAMES[best], percent: (probs[best] * 100).toFixed(1) };
}

test(
  'try it: what is shown always belongs to the picture and the model on show; a blank picture says so',
  { skip },
  async () => {
    const page = await open(`/try?run=${run.runId}`);
    await page.waitForSelector('body[data-model="ready"]');
    await drawTrouser(page);
    await page.waitForSelector('#top li');
    assert.ok((await padAt(page, 0.5, 0.2)) < 100, 'the drawing is on the pad');
    // An upload: a dark bag in the right third of a white picture. The pad shows it, not the drawing.
    const file = join(run.work, 'bag.png');
    await sharp({ create: { width: 280, height: 280, channels: 3, background: '#ffffff' } })
      .composite([
        { input: { create: { width: 80, height: 120, channels: 3, background: '#303030' } }, left: 190, top: 80 },
      ])
      .png()
      .toFile(file);
    await page.setInputFiles('#upload', file);
    await page.waitForFunction(() => document.getElementById('server')?.dataset.top);
    assert.ok((await padAt(page, 0.5, 0.2)) > 240, 'the drawing is gone from the pad');
    assert.ok((await padAt(page, 0.8, 0.5)) < 100, 'the upload is on the pad');
    assert.deepEqual(await shownTop(page), await predictTop(run.runDir, file));
    // Another model: the same picture, that model's answer (not the previous model's classes).
    await page.selectOption('#run', String(resnet.runId));
    await page.waitForSelector(`#top[data-run="${resnet.runId}"] li`, { timeout: 30_000 });
    assert.deepEqual(await shownTop(page), await predictTop(resnet.runDir, file));
    assert.match(
      (await page.textContent('#server')) ?? '',
      new RegExp(`^fmnist predict on the server: ${(await predictTop(resnet.runDir, file)).name}`),
    );
    // Clear empties everything; a blank pad is not classified.
    await page.click('#clear');
    assert.equal(await page.locator('#top li').count(), 0);
    assert.equal(await page.textContent('#server'), '');
    await page.click('#predict');
    await page.waitForFunction(() => document.getElementById('note')?.textContent);
    assert.equal(
      await page.textContent('#note'),
      'the picture is blank (one colour throughout): draw a garment or upload a photo of one',
    );
    assert.equal(await page.locator('#top li').count(), 0);
    await page.close();
  },
);

test(
  'try it: a 12-megapixel photo, the same answer in the page and on the server; over the pixel limit, refused at once',
  { skip, timeout: 120_000 },
  async () => {
    // A product photo: a test image enlarged to 2400x2400, tinted, on a white 4000x3000 JPEG with noise.
    const garment = await sharp(
      Buffer.from(run.data.test.images.subarray(3 * 784, 4 * 784)).map((v) => 255 - v),
      { raw: { width: 28, height: 28, channels: 1 } },
    )
      .resize(2400, 2400, { kernel: 'lanczos3' })
      .extend({ top: 300, bottom: 300, left: 800, right: 800, background: '#ffffff' })
      .raw()
      .toBuffer();
    const rgb = Buffer.alloc(4000 * 3000 * 3);
    let seed = 1;
    for (let p = 0; p < 4000 * 3000; p++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const noise = ((seed >>> 16) % 21) - 10;
      for (const [c, k, add] of [
        [0, 0.9, 20],
        [1, 0.8, 0],
        [2, 1, 0],
      ])
        rgb[p * 3 + c] = Math.max(0, Math.min(255, garment[p] * k + add + noise));
    }
    const photo = join(run.work, 'photo.jpg');
    await sharp(rgb, { raw: { width: 4000, height: 3000, channels: 3 } })
      .jpeg({ quality: 85 })
      .toFile(photo);
    const page = await open(`/try?run=${run.runId}`);
    await page.waitForSelector('body[data-model="ready"]');
    await page.setInputFiles('#upload', photo);
    await page.waitForFunction(() => document.getElementById('server')?.dataset.top, null, { timeout: 30_000 });
    const expected = await predictTop(run.runDir, photo);
    assert.deepEqual(await shownTop(page), expected, 'the page');
    assert.match(
      (await page.textContent('#server')) ?? '',
      new RegExp(`^fmnist predict on the server: ${expected.name.replace('/', '\\/')} ${expected.percent}%`),
    );
    // 64 megapixels: over the 50 MP both sides refuse. The page says why and shows no classes.
    const huge = join(run.work, 'huge.png');
    await sharp({ create: { width: 8000, height: 8000, channels: 3, background: '#ffffff' } })
      .png()
      .toFile(huge);
    const t0 = Date.now();
    await page.setInputFiles('#upload', huge);
    await page.waitForFunction(
      () => /not a readable image/.test(document.getElementById('note')?.textContent ?? ''),
      null,
      { timeout: 10_000 },
    );
    assert.ok(Date.now() - t0 < 5000, `refused in ${Date.now() - t0} ms`);
    assert.match(
      (await page.textContent('#note')) ?? '',
      /^the upload is not a readable image: send a PNG, JPEG, WebP or GIF \(.*pixel limit/,
    );
    assert.equal(await page.locator('#top li').count(), 0);
    assert.equal(await padAt(page, 0.5, 0.5), 255, 'nothing drawn on the pad');
    await page.close();
  },
);

test(
  "try it: Grad-CAM on a residual model (ResNet-9) follows its graph: the last block's sum, not input gradients",
  { skip },
  async () => {
    const page = await open(`/try?run=${resnet.runId}`);
    await page.waitForSelector('body[data-model="ready"]');
    await drawTrouser(page);
    await page.waitForSelector('#saliency[data-ready]');
    assert.equal(await page.textContent('#saliency-kind'), 'Grad-CAM on stage3_res1_add');
    await page.close();
  },
);

test('try it: says when a picture is unlike Fashion-MNIST (a smiley), not for a test image', { skip }, async () => {
  const page = await open(`/try?run=${run.runId}`);
  await page.waitForSelector('body[data-model="ready"]');
  const box = (await page.locator('#pad').boundingBox())!;
  const stroke = async (points: [number, number][]) => {
    await page.mouse.move(box.x + points[0][0] * box.width, box.y + points[0][1] * box.height);
    await page.mouse.down();
    for (const [x, y] of points.slice(1))
      await page.mouse.move(box.x + x * box.width, box.y + y * box.height, { steps: 2 });
    await page.mouse.up();
  };
  const arc = (cx: number, cy: number, r: number, from: number, to: number) =>
    Array.from({ length: 25 }, (_, i) => from + ((to - from) * i) / 24).map(
      (a) => [cx + r * Math.cos(a), cy + r * Math.sin(a)] as [number, number],
    );
  await stroke(arc(0.5, 0.5, 0.4, 0, 2 * Math.PI));
  await stroke(arc(0.36, 0.4, 0.03, 0, 2 * Math.PI));
  await stroke(arc(0.64, 0.4, 0.03, 0, 2 * Math.PI));
  await stroke(arc(0.5, 0.55, 0.2, 0.2 * Math.PI, 0.8 * Math.PI));
  await page.waitForSelector('#ood[data-unusual]');
  assert.equal(await page.getAttribute('#ood', 'data-unusual'), 'true', (await page.textContent('#ood')) ?? '');
  assert.match(
    (await page.textContent('#ood')) ?? '',
    /^This picture is unlike Fashion-MNIST: it is further from every class than/,
  );
  assert.equal(await page.getAttribute('#ood', 'class'), 'warning');
  const file = join(run.work, 'test-7.png');
  await sharp(Buffer.from(run.data.test.images.subarray(7 * 784, 8 * 784)), {
    raw: { width: 28, height: 28, channels: 1 },
  })
    .png()
    .toFile(file);
  await page.setInputFiles('#upload', file);
  await page.waitForSelector('#ood[data-unusual="false"]');
  assert.match(
    (await page.textContent('#ood')) ?? '',
    /^Like Fashion-MNIST: \d+% of the test images are at least this far from every class\.$/,
  );
  await page.close();
});

test(
  'accessibility: the upload has a label, pictures have text, results are announced, data tiles name their class',
  { skip },
  async () => {
    const page = await open(`/try?run=${run.runId}`);
    await page.waitForSelector('body[data-model="ready"]');
    assert.equal(
      await page.getByLabel(/^Upload a photo \(PNG, JPEG, WebP or GIF, up to 5 MB\)$/).getAttribute('type'),
      'file',
    );
    assert.equal(await page.getByRole('img', { name: 'drawing pad, empty' }).count(), 1);
    await drawTrouser(page);
    await page.waitForSelector('#saliency[data-ready]');
    const said = await page.getAttribute('body', 'data-predicted');
    assert.equal(
      await page.getByRole('img', { name: `the 28x28 picture the model sees; run ${run.runId} says ${said}` }).count(),
      1,
    );
    assert.equal(
      await page
        .getByRole('img', {
          name: new RegExp(`^Grad-CAM on conv2: red where the model looked most for ${said!.replace('/', '\\/')}$`),
        })
        .count(),
      1,
    );
    assert.equal(await page.getAttribute('#results', 'aria-live'), 'polite');
    assert.equal(await page.getAttribute('#model-status', 'role'), 'status');
    const data = await open('/data?split=test');
    assert.equal(await data.getByRole('img', { name: 'test #0: Ankle boot' }).count(), 1);
    assert.equal(await data.locator('#tiles figcaption').count(), 100);
    assert.equal(await data.textContent('#tiles figure:first-child figcaption'), 'Ankle boot');
    await data.goto(`${server.url}/data?split=test&class=2`);
    assert.match((await data.getAttribute('#tiles img:first-child', 'alt')) ?? '', /^test #\d+: Pullover$/);
    await page.close();
    await data.close();
  },
);

test('no page logs a console error or gets a failed request (the icon included)', { skip }, async () => {
  const problems: string[] = [];
  const pages = await Promise.all(
    [
      '/',
      `/runs/${run.runId}`,
      `/compare?ids=${run.runId},${resnet.runId}`,
      '/studies',
      '/data',
      '/try',
      '/report',
      `/live/${run.runId}`,
    ].map(async (path) => {
      const page = await browser.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`${path}: ${m.text()}`);
      });
      page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`${path}: ${r.status()} ${r.url()}`);
      });
      await page.goto(server.url + path, { waitUntil: 'networkidle' });
      return page;
    }),
  );
  // The browser asks for the page's icon after the page has loaded.
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(problems, []);
  await Promise.all(pages.map((p) => p.close()));
});

/** Boxes of an element's texts that overlap another's (more than half a pixel each way). */
async function overlappingTexts(page: Page, svg: string): Promise<string[]> {
  await page.setContent(`<!doctype html><body style="margin:0">${svg}</body>`);
  // (No named helpers inside: the test's transpiler would wrap them in a __name() the page lacks.)
  return page.$$eval('svg text', (texts) => {
    const boxes = texts
      .map((t) => ({ text: t.textContent ?? '', r: t.getBoundingClientRect() }))
      .filter((b) => b.text.trim() && b.r.width > 0);
    return boxes.flatMap((a, i) =>
      boxes
        .slice(i + 1)
        .filter(
          (b) =>
            a.r.left < b.r.right - 0.5 &&
            b.r.left < a.r.right - 0.5 &&
            a.r.top < b.r.bottom - 0.5 &&
            b.r.top < a.r.bottom - 0.5,
        )
        .map((b) => `'${a.text}' × '${b.text}'`),
    );
  });
}

test(
  "at 1280 px wide tables scroll by themselves, never the page's sections; parallel coordinates' labels do not overlap",
  { skip },
  async () => {
    const page = await open('/studies');
    const sections = await page.$$eval('section', (ss) =>
      ss.filter((s) => s.scrollWidth > s.clientWidth).map((s) => s.id),
    );
    assert.deepEqual(sections, [], 'no section scrolls sideways');
    const wraps = await page.$$eval('table', (ts) =>
      ts.map((t) => [t.parentElement!.className, getComputedStyle(t.parentElement!).overflowX]),
    );
    assert.ok(wraps.length > 0 && wraps.every(([c, o]) => c === 'table-wrap' && o === 'auto'), JSON.stringify(wraps));
    const tuning = await page.$eval('#tuning table', (t) => ({
      table: t.getBoundingClientRect().right,
      box: t.parentElement!.getBoundingClientRect().right,
    }));
    assert.ok(tuning.table <= tuning.box, `the eight-setting tuning table fits: ${JSON.stringify(tuning)}`);
    // Parallel coordinates: the app's brushable chart, and the report's (script-free) one.
    await page.waitForSelector('[data-parallel][data-ready] svg.parallel');
    const brushable = await page.$eval('svg.parallel', (s) => s.outerHTML);
    assert.deepEqual(await overlappingTexts(page, brushable), []);
    await page.goto(`${server.url}/report`, { waitUntil: 'networkidle' });
    const src = (await page.getAttribute('img[alt="parallel coordinates"]', 'src'))!;
    assert.deepEqual(await overlappingTexts(page, Buffer.from(src.split(',')[1], 'base64').toString()), []);
    // Compare with a dozen runs: the settings table stays in its card.
    const ids = (sweep ??= recordSweep(run.db, 12));
    await page.goto(`${server.url}/compare?ids=${ids.join(',')}`, { waitUntil: 'networkidle' });
    assert.deepEqual(
      await page.$$eval('section', (ss) => ss.filter((s) => s.scrollWidth > s.clientWidth).map((s) => s.id)),
      [],
    );
    await page.close();
  },
);

/** Twelve recorded runs compared; their ids, once. */
let sweep: number[] | undefined;

/** The compare page's interactive chart of the sweep, and the page x of an epoch (1…3) on it. */
async function sweepChart(): Promise<{ page: Page; ids: number[]; x: (epoch: number) => number; y: number }> {
  sweep ??= recordSweep(run.db, 12);
  const page = await open(`/compare?ids=${sweep.join(',')}`);
  await page.waitForSelector('[data-chart][data-ready]');
  const box = (await page.locator('svg.ichart').boundingBox())!;
  // The plot spans x 64…744 of the 760-wide drawing: epoch e of 1…3 at 64 + (e − 1) × 340.
  return { page, ids: sweep, x: (e) => box.x + ((64 + (e - 1) * 340) / 760) * box.width, y: box.y + box.height / 2 };
}

test(
  'interactive curves: a colour per run in run order, values on hover, smoothing, a log scale',
  { skip },
  async () => {
    const { page, ids, x, y } = await sweepChart();
    const legend = await page.$$eval('.legend-item', (bs) => bs.map((b) => (b as HTMLElement).dataset.run));
    assert.deepEqual(legend, ids.map(String));
    const strokes = await page.$$eval('svg.ichart path', (ps) => ps.map((p) => p.getAttribute('stroke')));
    assert.equal(strokes.length, 24, 'train and validation loss of 12 runs');
    assert.equal(new Set(strokes).size, 12);
    const tipFor = async (e: number) => {
      await page.mouse.move(x(e), y);
      await page.waitForSelector(`.chart-tip[data-epoch="${e}"]`);
      return (await page.textContent('.chart-tip')) ?? '';
    };
    // recordSweep's run 0: validation loss 1.1 / epoch.
    assert.match(await tipFor(2), new RegExp(`#${ids[0]} sweep-1 validation: 0\\.55(?!\\d)`));
    // Smoothing 0.6, TensorBoard's debiased moving average, at epoch 3 of 1.1, 0.55, 0.3667.
    await page.$eval('[data-control="smoothing"]', (i) => {
      (i as HTMLInputElement).value = '0.6';
      i.dispatchEvent(new Event('input'));
    });
    let [last, debias] = [0, 0];
    for (const v of [1.1, 0.55, 1.1 / 3]) [last, debias] = [last * 0.6 + 0.4 * v, debias * 0.6 + 0.4];
    const smoothed = Number((last / debias).toPrecision(4));
    assert.match(await tipFor(3), new RegExp(`#${ids[0]} sweep-1 validation: ${smoothed}(?!\\d)`));
    // Log scale: ticks at 1, 2 and 5 times powers of ten.
    await page.check('[data-control="log"]');
    const ticks = await page.$$eval('svg.ichart text.tick.y', (ts) => ts.map((t) => Number(t.textContent)));
    const mantissa = (t: number) => Number((t / 10 ** Math.floor(Math.log10(t))).toPrecision(3));
    assert.ok(ticks.length >= 2 && ticks.every((t) => [1, 2, 5].includes(mantissa(t))), ticks.join(' '));
    await page.close();
  },
);

test(
  'interactive curves: drag to zoom into epochs, double-click for all, hide a run, other metrics',
  { skip },
  async () => {
    const { page, ids, x, y } = await sweepChart();
    const xTicks = () => page.$$eval('svg.ichart text.tick.x', (ts) => ts.map((t) => t.textContent));
    await page.mouse.move(x(2), y);
    await page.mouse.down();
    await page.mouse.move(x(3), y, { steps: 5 });
    await page.mouse.up();
    assert.deepEqual(await xTicks(), ['2', '3']);
    await page.dblclick('svg.ichart');
    assert.deepEqual(await xTicks(), ['1', '2', '3']);
    await page.click(`.legend-item[data-run="${ids[0]}"]`);
    assert.equal(await page.locator(`svg.ichart path[data-key^="${ids[0]}/"]`).count(), 0);
    assert.equal(await page.getAttribute(`.legend-item[data-run="${ids[0]}"]`, 'aria-pressed'), 'false');
    await page.selectOption('[data-control="metric"]', 'imagesPerSecond');
    assert.equal(await page.locator('svg.ichart path').count(), 11, 'one line per run, the hidden one left out');
    assert.match((await page.textContent('svg.ichart .axis-title:last-of-type')) ?? '', /images per second/);
    await page.close();
  },
);

test(
  'brushing the parallel coordinates keeps the trials in the dragged range, in the chart and the table',
  { skip },
  async () => {
    const page = await open('/studies');
    await page.waitForSelector('[data-parallel][data-ready] svg.parallel');
    // 9 axes 110 apart from x 40 of a 980-wide drawing; values from y 24 (top, 1) to y 266 (bottom, 0) of 300.
    // (The chart moves up as table rows hide: its box is read before each drag.)
    const point = async (axis: number, num: number) => {
      const box = (await page.locator('svg.parallel').boundingBox())!;
      return [
        box.x + ((40 + axis * 110) / 980) * box.width,
        box.y + ((24 + (1 - num) * 242) / 300) * box.height,
      ] as const;
    };
    const drag = async (axis: number, from: number, to: number) => {
      await page.mouse.move(...(await point(axis, from)));
      await page.mouse.down();
      await page.mouse.move(...(await point(axis, to)), { steps: 5 });
      await page.mouse.up();
    };
    const shownTrials = () =>
      page.$$eval('#tuning tbody tr:not([hidden]) [data-trial]', (ss) =>
        ss.map((s) => (s as HTMLElement).dataset.trial),
      );
    // batchSize (axis 2) of trials 0…5 is 32, 64, 128, 256, 32, 64: from 0.35 up keeps 128 and 256.
    await drag(2, 1, 0.35);
    assert.deepEqual(await shownTrials(), ['trial-002', 'trial-003']);
    assert.match(
      (await page.textContent('[data-parallel-status]')) ?? '',
      /^2 of 6 finished trials in the brushed ranges/,
    );
    assert.deepEqual(
      await page.$$eval('svg.parallel path[stroke="#ccc"]', (ps) => ps.map((p) => p.getAttribute('data-trial'))),
      ['trial-000', 'trial-001', 'trial-004', 'trial-005'],
    );
    // A second axis narrows it: optimizer (axis 6; adam 0, rmsprop 0.5, sgd 1): trial 2 rmsprop, trial 3 adam.
    await drag(6, 0.6, 0.4);
    assert.deepEqual(await shownTrials(), ['trial-002']);
    await page.mouse.dblclick(...(await point(6, 0.5)));
    assert.deepEqual(await shownTrials(), ['trial-002', 'trial-003']);
    await page.mouse.dblclick(...(await point(2, 0.5)));
    assert.equal((await shownTrials()).length, 6);
    await page.close();
  },
);

test('data: browse a class of a split page by page, with per-class statistics', { skip }, async () => {
  const page = await open('/data?split=test&class=9');
  assert.equal(await page.locator('#tiles img').count(), 100);
  assert.ok(await allImagesLoaded(page));
  assert.match((await page.textContent('#stats')) ?? '', /Ankle boot\s*6,000\s*1,000/);
  await Promise.all([page.waitForURL(/page=1/), page.click('#next')]);
  assert.match((await page.textContent('#browse')) ?? '', /page 2 of 10/);
  await page.close();
});

test(
  'live: a training in another process updates the page epoch by epoch until it ends',
  { skip, timeout: 120_000 },
  async () => {
    const dir = join(run.work, 'runs', 'live');
    const child = spawn(
      process.execPath,
      ['bin/fmnist.js', '--backend', 'wasm', 'train', '--limit', '3000', '--epochs', '3', '--out', dir, '--db', run.db],
      { stdio: 'ignore' },
    );
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
      // The interactive chart has drawn all three epochs of the run (training loss, validation loss).
      assert.deepEqual(await page.$$eval('svg.ichart text.tick.x', (ts) => ts.map((t) => t.textContent)), [
        '1',
        '2',
        '3',
      ]);
      assert.equal(await page.locator('svg.ichart path').count(), 2);
      await page.close();
    } finally {
      child.kill();
    }
  },
);

test('the report opens from disk with no network, every section present', { skip }, async () => {
  const path = await writeHtmlReport(join(run.work, 'report.html'), { db: run.db });
  const page = await browser.newPage();
  const remote: string[] = [];
  page.on('request', (r) => {
    if (!/^(file|data):/.test(r.url())) remote.push(r.url());
  });
  await page.goto(`file://${path}`, { waitUntil: 'load' });
  assert.deepEqual(remote, [], 'no request leaves the file');
  assert.deepEqual(await page.$$eval('h2', (hs) => hs.map((h) => h.textContent)), [
    'Against the published study',
    'Data',
    'Training runs',
    'Evaluation',
    'Tuning',
    'Cross-validation',
    'Transfer learning',
  ]);
  assert.ok(await allImagesLoaded(page));
  const text = (await page.textContent('main')) ?? '';
  assert.match(text, /no tuning study yet/);
  assert.match(text, /no transfer runs yet/);
  assert.match(text, /LeNet-5, default settings\s*89\.82%\s*\d+\.\d\d% test/);
  await page.close();
});
