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
import { imageToFashion, predictImage } from '../evaluate/image_input.ts';
import { predictProbabilities } from '../models/predict.ts';
import { oodScore, oodVerdict, type OodStats } from './browser/ood_math.ts';
import * as tf from '@tensorflow/tfjs';
import { loadModel, readModelMetadata } from '../store/model_io.ts';
import { RunStore } from '../store/run_store.ts';
import { parseTrainConfig } from '../config.ts';
import { runFile } from '../train/run_folder.ts';
import { startServer, type RunningServer } from './server.ts';
import { recordSweep, tinyRun, type TinyRun } from './fixture.ts';

let run: TinyRun;
let server: RunningServer;
/** What the server logged. */
const logs: string[] = [];

before(async () => {
  run = await tinyRun('fmnist-serve-');
  server = await startServer({ db: run.db, port: 0, maxUpload: 1_000_000, log: (line) => logs.push(line) });
});
after(async () => {
  await server?.close();
  if (run) rmSync(run.work, { recursive: true, force: true });
});

interface Reply {
  status: number;
  type: string;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A request with the path sent exactly as written (fetch would normalise '..' away). */
function raw(
  method: string,
  path: string,
  o: { headers?: Record<string, string>; body?: Buffer } = {},
): Promise<Reply> {
  const { port } = new URL(server.url);
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: o.headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () =>
        ok({
          status: res.statusCode!,
          type: String(res.headers['content-type']),
          body: Buffer.concat(parts).toString(),
          headers: res.headers,
        }),
      );
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

const testPng = (i: number) =>
  sharp(Buffer.from(run.data.test.images.subarray(i * 784, (i + 1) * 784)), {
    raw: { width: 28, height: 28, channels: 1 },
  })
    .png()
    .toBuffer();

test('traversal in any encoding, absolute paths and NUL bytes are refused, and nothing outside the routes is read', async () => {
  const attempts = [
    '/../../../../etc/passwd',
    '/assets/../../etc/passwd',
    '/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/assets/..%2f..%2f..%2fetc%2fpasswd',
    '/api/runs/1/%2e%2e%2f%2e%2e%2frun.json',
    '/api/runs/1/..%5c..%5cetc%5cpasswd',
    '/api/runs/1/model.json%00.png',
    '/etc/passwd',
    '//etc/passwd',
    `/api/runs/1/${encodeURIComponent(runFile(run.runDir, 'run'))}`,
    '/assets/%2E%2E/package.json',
    '/assets/%zz',
    '/runs/1/../../../etc/passwd',
    '/api/runs/1/checkpoint.json',
    '/api/runs/1/run.json',
    '/assets/server.ts',
  ];
  for (const path of attempts) {
    const r = await raw('GET', path);
    assert.ok(r.status === 400 || r.status === 404, `${path}: ${r.status}`);
    assert.doesNotMatch(r.body, /root:|"status":\s*"done"|"config"/, `${path} leaked a file`);
    assert.ok(
      r.body.length < 20_000 && /not allowed|malformed|no such|must be/.test(r.body),
      `${path}: a clear message, got ${r.body.slice(0, 200)}`,
    );
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
  const oversize = await raw('POST', `/api/runs/${run.runId}/predict`, {
    headers: { 'content-type': 'image/png' },
    body: big,
  });
  assert.equal(oversize.status, 413);
  assert.match(JSON.parse(oversize.body).error, /upload too large: 1500000 bytes, the limit is 1000000 bytes \(1 MB\)/);
  await stillUp();

  const text = await raw('POST', `/api/runs/${run.runId}/predict`, {
    headers: { 'content-type': 'text/plain' },
    body: Buffer.from('hello'),
  });
  assert.equal(text.status, 415);
  assert.match(JSON.parse(text.body).error, /send a PNG, JPEG, WebP or GIF image/);
  await stillUp();

  const fake = await raw('POST', `/api/runs/${run.runId}/predict`, {
    headers: { 'content-type': 'image/png' },
    body: Buffer.from('not a png at all'),
  });
  assert.equal(fake.status, 415);
  assert.match(JSON.parse(fake.body).error, /^the upload is not a readable image: send a PNG, JPEG, WebP or GIF \(/);
  await stillUp();

  const empty = await raw('POST', `/api/runs/${run.runId}/predict`, { headers: { 'content-type': 'image/png' } });
  assert.equal(empty.status, 400);
  assert.match(JSON.parse(empty.body).error, /the upload is empty/);

  // A dataset image: the server's answer is exactly what `fmnist predict`'s code gives for it.
  const png = await testPng(0);
  const ok = await raw('POST', `/api/runs/${run.runId}/predict`, {
    headers: { 'content-type': 'image/png' },
    body: png,
  });
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
  for (const [method, path] of [
    ['DELETE', `/api/runs/${run.runId}`],
    ['PUT', `/api/runs/${run.runId}/model.json`],
    ['POST', '/'],
    ['GET', `/api/runs/${run.runId}/predict`],
  ]) {
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
    sock.on('data', (c) => {
      text += c.toString();
    });
    sock.on('close', () => ok(text));
  });
  assert.match(garbage, /^HTTP\/1.1 400 Bad Request/);
  await stillUp();
});

test("export: every run's metrics as CSV and JSON, one run or all, matching the store", async () => {
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
  writeFileSync(
    runFile(dir, 'metrics'),
    JSON.stringify({ epoch: 1, loss: 1, acc: 0.5, lr: 0.001, seconds: 2, imagesPerSecond: 300 }) + '\n',
  );

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
  const made = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  assert.equal(made.status, 0, made.stderr);
  const id = Number(made.stdout.trim());
  writeFileSync(runFile(dir, 'run'), JSON.stringify({ status: 'running', config }));
  const events = await raw('GET', `/api/runs/${id}/events`);
  assert.match(
    events.body,
    /event: end\ndata: \{"status":"interrupted","epochsCompleted":0,"epochs":5,"etaSeconds":null/,
  );
  await stillUp();
});

test('a foreign Host is refused (421: DNS rebinding), IP addresses and localhost are served', async () => {
  const { port } = new URL(server.url);
  for (const host of ['evil.example:18080', `evil.example:${port}`, 'localhost.evil.example', 'attacker.test']) {
    const r = await raw('GET', '/api/runs', { headers: { host } });
    assert.equal(r.status, 421, host);
    assert.match(JSON.parse(r.body).error, /not to Host '.*' \(a guard against DNS rebinding\)/);
    assert.doesNotMatch(r.body, /"runs"/);
  }
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, '127.0.0.1']) {
    assert.equal((await raw('GET', '/api/runs', { headers: { host } })).status, 200, host);
  }
});

test("a cross-origin POST is refused (403) before the upload is read; the app's own page may post", async () => {
  const png = await testPng(1);
  const path = `/api/runs/${run.runId}/predict`;
  const { port } = new URL(server.url);
  const cases: [Record<string, string>, number][] = [
    [{ origin: 'http://evil.example' }, 403],
    [{ origin: `http://localhost:${Number(port) + 1}` }, 403],
    [{ origin: 'null' }, 403],
    [{ 'sec-fetch-site': 'cross-site' }, 403],
    [{ 'sec-fetch-site': 'same-site' }, 403],
    [{ origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' }, 200],
    [{}, 200], // curl and scripts send no Origin
  ];
  for (const [headers, status] of cases) {
    const r = await raw('POST', path, { headers: { 'content-type': 'image/png', ...headers }, body: png });
    assert.equal(r.status, status, JSON.stringify(headers));
    if (status === 403) assert.match(JSON.parse(r.body).error, /cross-origin requests are refused/);
  }
});

test('405 says what is allowed (Allow header); /favicon.ico is an icon, and every page names it', async () => {
  const del = await raw('DELETE', `/api/runs/${run.runId}`);
  assert.equal(del.status, 405);
  assert.equal(del.headers.allow, 'GET, HEAD');
  const get = await raw('GET', `/api/runs/${run.runId}/predict`);
  assert.equal(get.status, 405);
  assert.equal(get.headers.allow, 'POST');
  const head = await raw('HEAD', `/runs/${run.runId}`);
  assert.equal(head.status, 200);
  for (const path of ['/favicon.ico', '/favicon.svg']) {
    const icon = await raw('GET', path);
    assert.equal(icon.status, 200, path);
    assert.equal(icon.type, 'image/svg+xml');
    assert.match(icon.body, /^<svg /);
  }
  assert.match((await raw('GET', '/')).body, /<link rel="icon" type="image\/svg\+xml" href="\/favicon.svg">/);
});

test('a client that hangs up mid-upload is one log line, not a server error with a stack', async () => {
  const { port } = new URL(server.url);
  const before = logs.length;
  await new Promise<void>((ok) => {
    const sock = connect(Number(port), '127.0.0.1', () => {
      sock.write(
        `POST /api/runs/${run.runId}/predict HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n` +
          'content-type: image/png\r\ncontent-length: 500000\r\n\r\n',
      );
      sock.write(Buffer.alloc(20_000, 1), () =>
        setTimeout(() => {
          sock.destroy();
          ok();
        }, 100),
      );
    });
  });
  for (let i = 0; i < 50 && logs.length === before; i++) await new Promise((r) => setTimeout(r, 20));
  const lines = logs.slice(before);
  assert.deepEqual(lines, [
    `POST /api/runs/${run.runId}/predict: the client closed the connection before the request body ended`,
  ]);
  await stillUp();
});

test('predict: a blank picture is refused (422) and says so; the answer has the 28x28 picture classified', async () => {
  const white = await sharp({ create: { width: 120, height: 90, channels: 3, background: '#ffffff' } })
    .png()
    .toBuffer();
  const blank = await raw('POST', `/api/runs/${run.runId}/predict`, {
    headers: { 'content-type': 'image/png' },
    body: white,
  });
  assert.equal(blank.status, 422);
  assert.equal(
    JSON.parse(blank.body).error,
    'the picture is blank (one colour throughout): draw a garment or upload a photo of one',
  );
  const png = await testPng(2);
  const ok = JSON.parse(
    (await raw('POST', `/api/runs/${run.runId}/predict`, { headers: { 'content-type': 'image/png' }, body: png })).body,
  );
  assert.deepEqual(
    ok.input,
    Array.from(run.data.test.images.subarray(2 * 784, 3 * 784)),
    'a dataset image reaches the model as it is',
  );
});

test('a transfer run is labelled by its base, a plain run has no mode: list, run, report, old folders', async () => {
  // As `fmnist transfer` records it: every key with its default, so model 'lenet5' beside the base.
  const config = parseTrainConfig({ base: 'mobilenet', mode: 'features', inputSize: 32, epochs: 2 });
  const dir = join(run.work, 'runs', 'mobilenet-features');
  const store = RunStore.open(run.db);
  const id = store.startRun({ kind: 'train', outDir: dir, config, meta: {} });
  store.finishRun(id, 'done', { metrics: { valAcc: 0.8 } });
  store.close();
  const cells = (html: string, rid: number) =>
    [...html.matchAll(/<tr>(.*?)<\/tr>/g)]
      .map((m) => m[1])
      .find((r) => r.includes(`value="${rid}"`))!
      .split('</td><td>');
  const list = (await raw('GET', '/')).body;
  assert.equal(cells(list, id)[6], 'mobilenet');
  assert.equal(cells(list, run.runId)[6], 'lenet5');
  const transferPage = (await raw('GET', `/runs/${id}`)).body;
  assert.match(transferPage, /<p>model <b>mobilenet<\/b> · mode <b>features<\/b> · epochs <b>2<\/b>/);
  assert.match(
    transferPage,
    /model<\/span><\/td><td><span class="muted">&#34;lenet5&#34; \(recorded, not used by this run\)/,
  );
  const plainPage = (await raw('GET', `/runs/${run.runId}`)).body;
  assert.match(plainPage, /<p>model <b>lenet5<\/b> · epochs <b>2<\/b>/);
  assert.doesNotMatch(plainPage, /mode <b>/);
  // A study's run folder the store does not know (run.json only), in the app's report.
  const study = join(run.work, 'study');
  const old = join(study, 'strongest');
  mkdirSync(old, { recursive: true });
  writeFileSync(
    join(study, 'study.json'),
    JSON.stringify({ profile: 'standard', stages: { strongest: { run: old } } }),
  );
  writeFileSync(
    runFile(old, 'run'),
    JSON.stringify({ status: 'done', config: { ...config, base: 'resnet152v2', mode: 'scratch' } }),
  );
  const withStudy = await startServer({ db: run.db, port: 0, study });
  try {
    const report = await (await fetch(`${withStudy.url}/report`)).text();
    const header = /strongest<\/a> <span class="muted">train · done<\/span><\/h3><p class="muted">[^<]*<\/p>/.source;
    assert.match(report, new RegExp(header + /<p>model <b>resnet152v2<\/b> · mode <b>scratch<\/b>/.source));
    assert.match(report, new RegExp(`#${id} · done[^]*?<p>model <b>mobilenet</b> · mode <b>features</b>`));
    assert.doesNotMatch(report, /model <b>lenet5<\/b> · mode/);
  } finally {
    await withStudy.close();
  }
});

test('compare many runs: legend in run order (#9 before #10), a colour per run, telling digits', async () => {
  const ids = recordSweep(run.db, 12);
  assert.ok(
    String(ids[0]).length < String(ids[11]).length,
    `the ids cross a digit (${ids[0]}…${ids[11]}), where text order differs`,
  );
  const html = (await raw('GET', `/compare?ids=${ids.join(',')}`)).body;
  const svg = Buffer.from(
    /alt="overlaid learning curves" src="data:image\/svg\+xml;base64,([^"]+)"/.exec(html)![1],
    'base64',
  ).toString();
  const legend = [...svg.matchAll(/<text[^>]*>#(\d+) sweep-\d+<\/text>/g)].map((m) => Number(m[1]));
  assert.deepEqual(legend, ids);
  // Each run's lines in one colour, no two runs sharing one.
  const colourOf = new Map<string, Set<string>>();
  for (const m of svg.matchAll(
    new RegExp(
      /aria-label="[^"]*run: (#\d+) sweep-\d+[^"]*" role="graphics-symbol" /.source +
        /aria-roledescription="line mark"[^>]* stroke="(#[0-9a-f]{6})"/.source,
      'g',
    ),
  )) {
    colourOf.set(m[1], (colourOf.get(m[1]) ?? new Set()).add(m[2]));
  }
  assert.equal(colourOf.size, 12);
  assert.ok([...colourOf.values()].every((c) => c.size === 1));
  assert.equal(new Set([...colourOf.values()].map((c) => [...c][0])).size, 12, 'twelve different colours');
  // Settings that differ: dropout 0.40025997266639024 − i/97 reads 0.400, 0.390, …
  const dropoutRow = /<td>dropout<\/td>(.*?)<\/tr>/.exec(html)![1];
  assert.deepEqual([...dropoutRow.matchAll(/<code>([^<]+)<\/code>/g)].map((m) => m[1]).slice(0, 3), [
    '0.400',
    '0.390',
    '0.380',
  ]);
  assert.doesNotMatch(html, /0\.4002599/);
});

test('runs list: sorted by any column (no value: last), metric and setting columns, bad views refused', async () => {
  const ids = recordSweep(run.db, 4); // val acc 0.73, 0.7325, 0.735, 0.7375; lr 0.001 × (1 + i/7)
  const order = (html: string) =>
    [...html.matchAll(/<tr><td><input type="checkbox" name="ids" value="(\d+)"/g)].map((m) => Number(m[1]));
  const byVal = order((await raw('GET', '/?sort=valAcc&order=desc&kind=train')).body);
  assert.deepEqual(
    byVal.filter((id) => ids.includes(id)),
    [...ids].reverse(),
  );
  assert.deepEqual(
    order((await raw('GET', '/?sort=valAcc&order=asc')).body).filter((id) => ids.includes(id)),
    ids,
  );
  // Runs with no validation accuracy come last in both orders.
  const store = RunStore.openReadOnly(run.db);
  const noVal = store
    .listRuns()
    .filter((r) => r.finalMetrics?.valAcc === undefined)
    .map((r) => r.id);
  store.close();
  for (const o of ['asc', 'desc']) {
    const all = order((await raw('GET', `/?sort=valAcc&order=${o}`)).body);
    assert.deepEqual(
      all.slice(all.length - noVal.length).sort((a, b) => a - b),
      noVal.sort((a, b) => a - b),
      o,
    );
  }
  const withCols = (await raw('GET', '/?cols=setting:lr&sort=setting:lr&order=desc')).body;
  assert.match(withCols, /<a class="sort" href="[^"]*" aria-sort="descending" data-col="setting:lr">lr ▼<\/a>/);
  const lrCells = [...withCols.matchAll(/value="(\d+)"[^]*?<\/tr>/g)]
    .filter((m) => ids.includes(Number(m[1])))
    .map((m) => /<td>([\d.]+)<\/td><\/tr>$/.exec(m[0])?.[1]);
  assert.deepEqual(
    lrCells,
    ['0.001429', '0.001286', '0.001143', '0.001'],
    'lr column, 4 significant digits, largest first',
  );
  for (const [q, message] of [
    ['sort=bogus', /sort: no column 'bogus'/],
    ['cols=metric:nope', /cols: no column 'metric:nope' for these runs/],
    ['order=up&sort=id', /order must be asc or desc/],
  ] as const) {
    const r = await raw('GET', `/?${q}`, { headers: { accept: 'application/json' } });
    assert.equal(r.status, 400, q);
    assert.match(JSON.parse(r.body).error, message);
  }
});

test('ood.json: Gaussians of the features, calibrated: ~1% of unseen test images unusual, and a smiley', async () => {
  const r = await raw('GET', `/api/runs/${run.runId}/ood.json`);
  assert.equal(r.status, 200);
  const stats = JSON.parse(r.body) as OodStats & { tail: number };
  assert.equal(stats.layer, 'logits', "LeNet-5's classifier: its input is fc2's 84 features");
  assert.equal(stats.dim, 84);
  assert.equal(stats.calibration.length, 1000);
  assert.deepEqual(
    stats.calibration,
    [...stats.calibration].sort((a, b) => a - b),
  );
  // Features computed here, independently of the server: the model up to its classifier's input.
  const model = await loadModel(run.runDir);
  const features = tf.model({ inputs: model.inputs, outputs: model.getLayer('logits').input as tf.SymbolicTensor });
  const norm = normalizationFor(readModelMetadata(run.runDir));
  const verdicts = (images: Uint8Array, idx: Int32Array) => {
    const f = predictProbabilities(features, images, idx, norm);
    return Array.from(idx, (_, k) => oodVerdict(stats, oodScore(stats, f.subarray(k * 84, (k + 1) * 84))));
  };
  // Test images the calibration did not use (it took every 10th): about 1% flagged.
  const unseen = verdicts(
    run.data.test.images,
    Int32Array.from({ length: 2000 }, (_, i) => 5 * i + 3),
  );
  const flagged = unseen.filter((v) => v.unusual).length / unseen.length;
  assert.ok(flagged < 0.03, `${(flagged * 100).toFixed(1)}% of unseen test images flagged`);
  // Pictures of no garment, converted as uploads are: a checkerboard, a smiley. Unusual.
  const checker = Buffer.from(Array.from({ length: 64 * 64 }, (_, i) => ((((i % 64) >> 3) + (i >> 9)) % 2 ? 255 : 0)));
  const face = [
    '<circle cx="140" cy="140" r="110" stroke="#222" stroke-width="14" fill="none"/>',
    '<circle cx="100" cy="110" r="14"/><circle cx="180" cy="110" r="14"/>',
    '<path d="M90 180 Q140 230 190 180" stroke="#222" stroke-width="12" fill="none"/>',
  ].join('');
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" width="280" height="280">' +
    '<rect width="280" height="280" fill="#fff"/>';
  const pictures = {
    checkerboard: await sharp(checker, { raw: { width: 64, height: 64, channels: 1 } })
      .png()
      .toBuffer(),
    smiley: await sharp(Buffer.from(`${svg}${face}</svg>`))
      .png()
      .toBuffer(),
  };
  for (const [name, png] of Object.entries(pictures)) {
    const [v] = verdicts(await imageToFashion(png), Int32Array.of(0));
    assert.equal(v.unusual, true, `${name}: ${JSON.stringify(v)}`);
  }
  model.dispose();
  assert.equal((await raw('GET', '/api/runs/999/ood.json')).status, 404);
});
