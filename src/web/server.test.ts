/**
 * `fmnist serve` against bad requests, over plain HTTP (no browser): traversal in every encoding,
 * malformed query values, unknown runs, oversize and non-image uploads, writes, and a run folder
 * deleted while it is watched — each answered with a 4xx and a clear message, and the server still
 * answering afterwards. Plus what the good requests return: exports and `fmnist predict`'s answer.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { CLASS_NAMES } from '../data/classes.ts';
import { normalizationFor } from '../data/preprocess.ts';
import { predictImage } from '../evaluate/image_input.ts';
import { loadModel, readModelMetadata } from '../store/model_io.ts';
import { RunStore } from '../store/run_store.ts';
import { parseTrainConfig } from '../config.ts';
import { runFile } from '../train/run_folder.ts';
import { startServer, type RunningServer } from './server.ts';
import { tinyRun, type TinyRun } from './fixture.ts';

let run: TinyRun;
let server: RunningServer;

before(async () => {
  run = await tinyRun('fmnist-serve-');
  server = await startServer({ db: run.db, port: 0, maxUpload: 1_000_000 });
});
after(async () => {
  await server?.close();
  if (run) rmSync(run.work, { recursive: true, force: true });
});

interface Reply { status: number; type: string; body: string }

/** A request with the path sent exactly as written (fetch would normalise '..' away). */
function raw(method: string, path: string, o: { headers?: Record<string, string>; body?: Buffer } = {}): Promise<Reply> {
  const { port } = new URL(server.url);
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: o.headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => ok({ status: res.statusCode!, type: String(res.headers['content-type']), body: Buffer.concat(parts).toString() }));
    });
    req.on('error', fail);
    req.end(o.body);
  });
}

/** After every bad request the server must still serve its front page. */
async function stillUp(): Promise<void> {
  const r = await raw('GET', '/');
  assert.equal(r.status, 200);
  assert.match(r.body, /Runs \((\d+) of \1\)/);
}

const testPng = (i: number) => sharp(Buffer.from(run.data.test.images.subarray(i * 784, (i + 1) * 784)), { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();

test('traversal in any encoding, absolute paths and NUL bytes are refused, and nothing outside the routes is read', async () => {
  const attempts = [
    '/../../../../etc/passwd', '/assets/../../etc/passwd', '/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2f..%2fetc%2fpasswd',
    '/api/runs/1/%2e%2e%2f%2e%2e%2frun.json', '/api/runs/1/..%5c..%5cetc%5cpasswd', '/api/runs/1/model.json%00.png', '/etc/passwd', '//etc/passwd',
    `/api/runs/1/${encodeURIComponent(runFile(run.runDir, 'run'))}`, '/assets/%2E%2E/package.json', '/assets/%zz', '/runs/1/../../../etc/passwd',
    '/api/runs/1/checkpoint.json', '/api/runs/1/run.json', '/assets/server.ts',
  ];
  for (const path of attempts) {
    const r = await raw('GET', path);
    assert.ok(r.status === 400 || r.status === 404, `${path}: ${r.status}`);
    assert.doesNotMatch(r.body, /root:|"status":\s*"done"|"config"/, `${path} leaked a file`);
    assert.ok(r.body.length < 20_000 && /not allowed|malformed|no such|must be/.test(r.body), `${path}: a clear message, got ${r.body.slice(0, 200)}`);
    await stillUp();
  }
});

test('malformed query values and unknown runs: 400 and 404 with a message', async () => {
  const cases: [string, number, RegExp][] = [
    ['/runs/abc', 400, /run id must be a whole number/],
    ['/runs/1e3', 400, /run id must be a whole number/],
    ['/runs/999', 404, /no run 999/],
    ['/api/runs/999/model.json', 404, /no run 999/],
    ['/api/runs/999/events', 404, /no run 999/],
    ['/live/999', 404, /no run 999/],
    ['/compare?ids=1,x', 400, /ids must be a whole number/],
    ['/compare?ids=', 400, /ids must list 1 to 20 run ids/],
    ['/data?split=validation', 400, /split must be one of train, test/],
    ['/data?page=-1', 400, /page must be a whole number/],
    ['/data?page=99999', 400, /page must be a whole number from 0 to 59/],
    ['/data?class=10', 400, /class must be a whole number from 0 to 9/],
    ['/data/image.png?split=test&index=10000', 400, /index must be a whole number from 0 to 9999/],
    ['/data/image.png?index=%E0%A4%A', 400, /malformed percent-encoding in the query/],
    ['/try?run=999', 404, /no run 999 with a saved model/],
  ];
  for (const [path, status, message] of cases) {
    const r = await raw('GET', path);
    assert.equal(r.status, status, path);
    assert.match(r.body, message, path);
    await stillUp();
  }
});

test('uploads: oversize → 413, not an image → 415, both with a clear message; a real image → the answer of fmnist predict', async () => {
  const big = Buffer.alloc(1_500_000, 7);
  const oversize = await raw('POST', `/api/runs/${run.runId}/predict`, { headers: { 'content-type': 'image/png' }, body: big });
  assert.equal(oversize.status, 413);
  assert.match(JSON.parse(oversize.body).error, /upload too large: 1500000 bytes, the limit is 1000000 bytes \(1 MB\)/);
  await stillUp();

  const text = await raw('POST', `/api/runs/${run.runId}/predict`, { headers: { 'content-type': 'text/plain' }, body: Buffer.from('hello') });
  assert.equal(text.status, 415);
  assert.match(JSON.parse(text.body).error, /send a PNG, JPEG, WebP or GIF image/);
  await stillUp();

  const fake = await raw('POST', `/api/runs/${run.runId}/predict`, { headers: { 'content-type': 'image/png' }, body: Buffer.from('not a png at all') });
  assert.equal(fake.status, 415);
  assert.match(JSON.parse(fake.body).error, /not a readable PNG or JPEG image/);
  await stillUp();

  const empty = await raw('POST', `/api/runs/${run.runId}/predict`, { headers: { 'content-type': 'image/png' } });
  assert.equal(empty.status, 400);
  assert.match(JSON.parse(empty.body).error, /the upload is empty/);

  // A dataset image: the server's answer is exactly what `fmnist predict`'s code gives for it.
  const png = await testPng(0);
  const ok = await raw('POST', `/api/runs/${run.runId}/predict`, { headers: { 'content-type': 'image/png' }, body: png });
  assert.equal(ok.status, 200);
  const model = await loadModel(run.runDir);
  const probs = await predictImage(model, png, normalizationFor(readModelMetadata(run.runDir)));
  model.dispose();
  const top = JSON.parse(ok.body).top as { className: string; probability: number }[];
  const best = probs.indexOf(Math.max(...probs));
  assert.equal(top[0].className, CLASS_NAMES[best]);
  assert.ok(Math.abs(top[0].probability - probs[best]) < 1e-6);
});

test('read-only: no method but GET (and POST to predict) is accepted', async () => {
  for (const [method, path] of [['DELETE', `/api/runs/${run.runId}`], ['PUT', `/api/runs/${run.runId}/model.json`], ['POST', '/'], ['GET', `/api/runs/${run.runId}/predict`]]) {
    const r = await raw(method, path, method === 'PUT' || method === 'POST' ? { body: Buffer.from('x') } : {});
    assert.equal(r.status, 405, `${method} ${path}`);
    assert.match(r.body, /read-only|use POST/);
  }
  assert.ok(readFileSync(runFile(run.runDir, 'model')).length > 0, 'the run is still there');
  // Not HTTP at all: a 400, and the server carries on.
  const { port } = new URL(server.url);
  const garbage = await new Promise<string>((ok) => {
    const sock = connect(Number(port), '127.0.0.1', () => sock.end('\x00\x01 garbage\r\n\r\n'));
    let text = '';
    sock.on('data', (c) => { text += c.toString(); });
    sock.on('close', () => ok(text));
  });
  assert.match(garbage, /^HTTP\/1.1 400 Bad Request/);
  await stillUp();
});

test('export: every run\'s metrics as CSV and JSON, one run or all, matching the store', async () => {
  const store = RunStore.openReadOnly(run.db);
  const epochs = store.getRun(run.runId).epochs;
  store.close();
  const csv = await raw('GET', '/api/export/metrics.csv');
  assert.equal(csv.status, 200);
  assert.match(csv.type, /text\/csv/);
  const lines = csv.body.trim().split('\n');
  assert.equal(lines[0], 'run,name,kind,group,status,epoch,loss,acc,valLoss,valAcc,lr,seconds,imagesPerSecond');
  assert.equal(lines.length, 1 + epochs.length);
  assert.equal(Number(lines[2].split(',')[7]), epochs[1].acc);
  const one = JSON.parse((await raw('GET', `/api/runs/${run.runId}/metrics.json`)).body);
  assert.deepEqual(one.runs[0].epochs, epochs);
  assert.equal((await raw('GET', `/api/runs/${run.runId}/metrics.csv`)).body, csv.body);
});

test('live progress: a run folder deleted while watched ends the stream with "gone", and the server carries on', async () => {
  // A run another process is writing: a store row and a run.json that says running.
  const dir = join(run.work, 'runs', 'doomed');
  mkdirSync(dir, { recursive: true });
  const config = parseTrainConfig({ epochs: 5 });
  const store = RunStore.open(run.db);
  const id = store.startRun({ kind: 'train', outDir: dir, config, meta: {} });
  store.close();
  writeFileSync(runFile(dir, 'run'), JSON.stringify({ status: 'running', config }));
  writeFileSync(runFile(dir, 'metrics'), JSON.stringify({ epoch: 1, loss: 1, acc: 0.5, lr: 0.001, seconds: 2, imagesPerSecond: 300 }) + '\n');

  const { port } = new URL(server.url);
  const events = await new Promise<string>((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path: `/api/runs/${id}/events` }, (res) => {
      assert.equal(res.headers['content-type'], 'text/event-stream');
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString();
        if (text.includes('event: progress') && !text.includes('deleted-now')) {
          text += 'deleted-now';
          rmSync(dir, { recursive: true });
        }
      });
      res.on('end', () => ok(text));
    });
    req.on('error', fail);
    req.end();
  });
  const progress = JSON.parse(events.split('event: progress\ndata: ')[1].split('\n')[0]);
  assert.equal(progress.epochsCompleted, 1);
  assert.equal(progress.epochs, 5);
  assert.equal(progress.etaSeconds, 8, '4 epochs left at 2 s each');
  assert.match(events, /event: gone\ndata: \{"message":"the run folder .*doomed was deleted"\}/);
  const front = await raw('GET', '/');
  assert.equal(front.status, 200);
  assert.match(front.body, /Runs \(2 of 2\)/);
});

test('live progress: a run whose process died mid-run ends the stream as interrupted (its run.json still says running)', async () => {
  const dir = join(run.work, 'runs', 'killed');
  mkdirSync(dir, { recursive: true });
  const config = parseTrainConfig({ epochs: 5 });
  // The row is written by a process that then exits without finishing the run, as a killed training does.
  const script = `import { RunStore } from './src/store/run_store.ts';
const s = RunStore.open(${JSON.stringify(run.db)});
console.log(s.startRun({ kind: 'train', outDir: ${JSON.stringify(dir)}, config: ${JSON.stringify(config)}, meta: {} }));`;
  const made = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const id = Number(made.stdout.trim());
  writeFileSync(runFile(dir, 'run'), JSON.stringify({ status: 'running', config }));
  const events = await raw('GET', `/api/runs/${id}/events`);
  assert.match(events.body, /event: end\ndata: \{"status":"interrupted","epochsCompleted":0,"epochs":5,"etaSeconds":null/);
  await stillUp();
});
