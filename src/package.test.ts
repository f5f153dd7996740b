/**
 * The package as a user gets it: `npm pack`, then `npm install ./fashion-mnist-lab-*.tgz` into a project
 * (the native addon builds on install), and there `npx fmnist data verify`, a short `train`, `predict`,
 * `serve`, and a script importing the package.
 *
 * The project starts with this clone's node_modules hard-linked in (what npm reuses of it are the same
 * versions the package pins; the dev dependencies it prunes): a cold install from the registry compiles
 * better-sqlite3 from source and took 4–6 min here, too much for every `npm test`. The package itself
 * (its files, bin, exports, install script) is installed as from scratch.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'fmnist-pack-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function run(cmd: string, args: string[], o: SpawnSyncOptions & { timeout?: number } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 600_000, ...o });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} exited ${r.status}:\n${String(r.stderr).slice(-3000)}`);
  return String(r.stdout);
}

/** Starts `fmnist serve --port 0` in app, reads the address it prints, GETs / and stops it. */
async function serveAnswers(app: string, env: NodeJS.ProcessEnv): Promise<number> {
  // The installed bin itself, not through npx: a signal to npx does not reach the server it starts.
  const bin = join(app, 'node_modules/fashion-mnist-lab/bin/fmnist.js');
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0'], { cwd: app, env, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`serve printed no address in 60 s: ${err}`)), 60_000);
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        const m = err.match(/http:\/\/127\.0\.0\.1:\d+/);
        if (m) {
          clearTimeout(timer);
          resolve(m[0]);
        }
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });
    return (await fetch(url + '/')).status;
  } finally {
    child.kill('SIGTERM');
    child.stderr.destroy();
  }
}

test('npm pack, npm install into an empty project, then the CLI and the library work there', { timeout: 900_000 }, async () => {
  run('npm', ['pack', '--pack-destination', tmp], { cwd: root });
  const tarball = readdirSync(tmp).find((f) => /^fashion-mnist-lab-.*\.tgz$/.test(f));
  assert.ok(tarball, 'npm pack made no tarball');

  const app = join(tmp, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  run('cp', ['-al', join(root, 'node_modules'), join(app, 'node_modules')]);
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(tmp, tarball)], { cwd: app });

  const env: NodeJS.ProcessEnv = { ...process.env, FMNIST_DB: join(app, 'runs.db') };
  delete env.FMNIST_SOURCE;
  const npx = (...args: string[]) => run('npx', ['fmnist', ...args], { cwd: app, env });
  assert.match(npx('data', 'verify'), /train: 60,000 images/);
  npx('train', '--epochs', '1', '--limit', '1000', '--out', 'runs/l5');
  const photo = join(root, 'docs/screenshots/app-runs.png'); // any picture will do: the point is that it runs
  assert.match(npx('predict', 'runs/l5', photo), /app-runs\.png: [\w/ -]+ [\d.]+%/);
  assert.equal(await serveAnswers(app, env), 200);

  writeFileSync(join(app, 'use.mjs'), [
    "import { CLASS_NAMES, init, openClassifier } from 'fashion-mnist-lab';",
    'const backend = await init();',
    "const top = await (await openClassifier('runs/l5')).classify(new Uint8Array(784), 1);",
    "console.log(backend.name, CLASS_NAMES.length, top.length, typeof top[0].probability);",
  ].join('\n'));
  assert.match(run(process.execPath, ['use.mjs'], { cwd: app, env }), /^(native|wasm) 10 1 number$/m);
});
