import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fetchFashionMnist } from './fetch.ts';
import { encodeIdx, IDX_MAGIC_LABELS } from './idx.ts';

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

/** Two test-made files and their checksums, as the fetch code's table would hold them. */
const bodies: Record<string, Buffer> = {
  'a-labels.gz': gzipSync(encodeIdx(IDX_MAGIC_LABELS, [30], new Uint8Array(30).fill(3))),
  'b-labels.gz': gzipSync(encodeIdx(IDX_MAGIC_LABELS, [40], new Uint8Array(40).fill(4))),
};
const files = Object.entries(bodies).map(([name, b]) => ({ stem: name.replace(/\.gz$/, ''), gzMd5: md5(b) }));

type Mode = 'good' | 'corrupt' | 'truncated' | 'missing';

/** A local mirror; `mode` decides how it misbehaves for b-labels.gz. Returns its base URL. */
async function mirror(mode: Mode): Promise<{ url: string; server: Server; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    const name = (req.url ?? '').slice(1);
    hits.push(name);
    const body = bodies[name];
    if (!body || (mode === 'missing' && name === 'b-labels.gz')) { res.writeHead(404).end(); return; }
    if (name === 'b-labels.gz' && mode === 'corrupt') {
      const bad = Buffer.from(body);
      bad[bad.length - 5] ^= 0xff;
      res.writeHead(200, { 'content-length': bad.length }).end(bad);
      return;
    }
    if (name === 'b-labels.gz' && mode === 'truncated') {
      // Promise the whole body, send half, then drop the connection.
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, body.length >> 1), () => res.destroy());
      return;
    }
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/`, server, hits };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'fmnist-fetch-'));

test('downloads every file, checks MD5, writes atomically; a second run downloads nothing', async () => {
  const { url, server, hits } = await mirror('good');
  const dir = tmp();
  try {
    const r = await fetchFashionMnist({ dir, mirror: url, files, progress: false });
    assert.deepEqual(r.files.map((f) => f.status), ['downloaded', 'downloaded']);
    assert.deepEqual(readFileSync(join(dir, 'b-labels.gz')), bodies['b-labels.gz']);
    assert.deepEqual(readdirSync(dir).sort(), ['a-labels.gz', 'b-labels.gz'], 'no temp files left');
    const again = await fetchFashionMnist({ dir, mirror: url, files, progress: false });
    assert.deepEqual(again.files.map((f) => f.status), ['present', 'present']);
    assert.equal(hits.length, 2, 'nothing fetched the second time');
  } finally {
    server.close();
    rmSync(dir, { recursive: true });
  }
});

for (const [mode, message] of [
  ['corrupt', /b-labels\.gz: checksum mismatch .* nothing was written/],
  ['truncated', /b-labels\.gz: download was cut short/],
  ['missing', /HTTP 404/],
] as const) {
  test(`a ${mode} response is refused and leaves no file behind`, async () => {
    const { url, server } = await mirror(mode);
    const dir = tmp();
    try {
      await assert.rejects(fetchFashionMnist({ dir, mirror: url, files, progress: false }), message);
      assert.ok(existsSync(join(dir, 'a-labels.gz')), 'the good file before it is kept');
      assert.ok(!existsSync(join(dir, 'b-labels.gz')));
      assert.deepEqual(readdirSync(dir), ['a-labels.gz'], 'no partial or temp file');
    } finally {
      server.close();
      rmSync(dir, { recursive: true });
    }
  });
}

test('offline: one line naming the Debian package and --data-dir', async () => {
  // A port nobody listens on: bind one, note it, close it.
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  const dir = tmp();
  try {
    await assert.rejects(fetchFashionMnist({ dir, mirror: `http://127.0.0.1:${port}/`, files, progress: false }), (err: Error) => {
      assert.match(err.message, /cannot reach .*offline.*apt-get install dataset-fashion-mnist.*--data-dir/);
      assert.ok(!err.message.includes('\n'));
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true });
  }
});
