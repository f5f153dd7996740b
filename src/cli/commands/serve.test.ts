/**
 * `fmnist serve` as a user starts it: an address it cannot listen on is one line and exit 2 (not
 * "this is a bug"), and with no --study it shows the newest study under out/, as `fmnist report`
 * does — a quick one with its smoke-test note.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const FMNIST = resolve('bin/fmnist.js');

test('an address or port it cannot listen on: one line naming it and what to do, exit 2', () => {
  const cases: [string[], RegExp, { uid?: number; gid?: number }?][] = [
    [
      ['--host', '10.255.255.1'],
      new RegExp(
        '^fmnist: --host 10\\.255\\.255\\.1 is not an address of this machine: ' +
          'use 127\\.0\\.0\\.1 \\(the default\\), or one of its own addresses \\(EADDRNOTAVAIL\\)$',
      ),
    ],
    [
      ['--host', 'no-such-host.invalid'],
      /^fmnist: --host no-such-host\.invalid: no such host name; give an IP address of this machine, or 127\.0\.0\.1 /,
    ],
  ];
  // Port 80 needs root: tried as nobody when the test runs as root (as it does here).
  if (process.getuid?.() === 0)
    cases.push([
      ['--port', '80'],
      /^fmnist: port 80 needs administrator rights \(ports below 1024\): choose one from 1024 up with --port /,
      { uid: 65534, gid: 65534 },
    ]);
  for (const [args, message, ids] of cases) {
    const r = spawnSync(process.execPath, [FMNIST, 'serve', '--port', '0', ...args], {
      encoding: 'utf8',
      timeout: 60_000,
      ...ids,
    });
    const lines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('backend:'));
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], message);
  }
});

test("no --study: the newest out/*/study.json, as in fmnist report (its data, the quick profile's note)", async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'fmnist-serve-cli-'));
  const study = join(cwd, 'out', 'study-quick');
  mkdirSync(join(study, 'explore'), { recursive: true });
  writeFileSync(join(study, 'study.json'), JSON.stringify({ profile: 'quick', stages: {} }));
  const counts = { train: { 'T-shirt/top': 6000 }, test: { 'T-shirt/top': 1000 } };
  writeFileSync(
    join(study, 'explore', 'summary.json'),
    JSON.stringify({
      data: { dir: '/made/by/this/test', official: true },
      counts,
      pixel: { train: { mean: 0.286, std: 0.353 } },
      duplicates: { withinTrain: 1, withinTest: 2, acrossSplits: 3, conflictingLabels: 0, examples: [] },
      figures: {},
    }),
  );
  const child = spawn(process.execPath, [FMNIST, 'serve', '--port', '0', '--db', join(cwd, 'none.db')], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    let err = '';
    const url = await new Promise<string>((ok, fail) => {
      child.stderr.on('data', (c: Buffer) => {
        err += c.toString();
        const m = /fmnist serve: (http:\/\/\S+)/.exec(err);
        if (m) ok(m[1]);
      });
      child.on('exit', (code) => fail(new Error(`serve exited ${code}: ${err}`)));
    });
    assert.match(err, new RegExp(`study: ${study.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
    const html = await (await fetch(`${url}/report`)).text();
    assert.match(html, /\/made\/by\/this\/test: the official files/);
    assert.doesNotMatch(html, /no data exploration yet/);
    assert.match(html, /<p class="warning" id="smoke-test">The quick profile is a smoke test/);
  } finally {
    child.kill('SIGTERM');
    rmSync(cwd, { recursive: true, force: true });
  }
});
