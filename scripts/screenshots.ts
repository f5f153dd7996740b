/**
 * The README's screenshots (docs/screenshots/), taken with the same headless Chromium as the
 * browser tests: every page of `fmnist serve` and the report file opened from disk.
 *
 *   node --import tsx scripts/screenshots.ts --db runs/fmnist.db --study out/study-quick [--out docs/screenshots]
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { loadFashionMnist } from '../src/data/dataset.ts';
import { writeHtmlReport } from '../src/report/html/report.ts';
import { RunStore } from '../src/store/run_store.ts';
import { launchChromium } from '../src/web/chromium.ts';
import { startServer } from '../src/web/server.ts';
import { initBackend } from '../src/backend/select.ts';

const { values: a } = parseArgs({ options: { db: { type: 'string' }, study: { type: 'string' }, out: { type: 'string', default: 'docs/screenshots' } } });
if (!a.db) throw new Error('--db is required');
const out = resolve(a.out!);
mkdirSync(out, { recursive: true });
await initBackend('wasm');
const store = RunStore.openReadOnly(a.db);
const runs = store.listRuns();
store.close();
const shown = runs.filter((r) => r.kind === 'train' && r.status === 'done');
const main = shown[0] ?? runs[0];
const server = await startServer({ db: resolve(a.db), study: a.study, port: 0 });
const browser = await launchChromium();
const work = mkdtempSync(join(tmpdir(), 'fmnist-shots-'));
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const shot = async (name: string) => { await page.screenshot({ path: join(out, `${name}.png`) }); console.log(join(out, `${name}.png`)); };
  const go = (path: string) => page.goto(server.url + path, { waitUntil: 'networkidle' });

  await go('/'); await shot('app-runs');
  await go(`/runs/${main.id}`); await shot('app-run');
  await go(`/compare?ids=${runs.filter((r) => r.kind !== 'fold').slice(0, 4).map((r) => r.id).join(',')}`); await shot('app-compare');
  await go('/studies'); await page.locator('svg.parallel').first().scrollIntoViewIfNeeded(); await shot('app-studies');
  await go('/data?split=train&class=0'); await shot('app-data');

  await go(`/try?run=${main.id}`);
  await page.waitForSelector('body[data-model="ready"]');
  // A T-shirt's outline, drawn with the mouse.
  const box = (await page.locator('#pad').boundingBox())!;
  const path = [[0.3, 0.15], [0.15, 0.3], [0.25, 0.4], [0.3, 0.35], [0.3, 0.85], [0.7, 0.85], [0.7, 0.35], [0.75, 0.4], [0.85, 0.3], [0.7, 0.15], [0.3, 0.15]];
  await page.mouse.move(box.x + path[0][0] * box.width, box.y + path[0][1] * box.height);
  await page.mouse.down();
  for (const [x, y] of path.slice(1)) await page.mouse.move(box.x + x * box.width, box.y + y * box.height, { steps: 8 });
  await page.mouse.up();
  await page.waitForSelector('#saliency[data-ready]');
  await shot('app-try-draw');
  const data = loadFashionMnist({ splits: ['test'] });
  const png = join(work, 'ankle-boot.png');
  await sharp(Buffer.from(data.test.images.subarray(0, 784)), { raw: { width: 28, height: 28, channels: 1 } }).resize(280, 280, { kernel: 'nearest' }).negate().png().toFile(png);
  await page.setInputFiles('#upload', png);
  await page.waitForFunction(() => document.querySelector('#server')?.getAttribute('data-top'));
  await shot('app-try-upload');

  await go(`/live/${main.id}`); await page.waitForSelector('#live[data-state]'); await shot('app-live');

  const report = await writeHtmlReport(join(work, 'report.html'), { db: a.db, study: a.study });
  await page.goto(`file://${report}`); await shot('report-top');
  await page.locator('#tuning').scrollIntoViewIfNeeded(); await shot('report-tuning');
  await page.locator('#evaluation').scrollIntoViewIfNeeded(); await shot('report-evaluation');
} finally {
  await browser.close();
  await server.close();
  rmSync(work, { recursive: true, force: true });
}
