#!/usr/bin/env node
// Compiles src/ to dist/ (JavaScript, declaration files, source maps) with tsc, and copies the
// non-TypeScript files the code reads at run time (e.g. keras/h5/check_keras_h5.py) beside it.
// `bin/fmnist.js` and the package's exports run dist/; tests and development run src/ through tsx.
//
// Idempotent: does nothing when dist/ is newer than every file under src/ (and tsconfig), unless
// --force. Plain JavaScript with no dependencies beyond node_modules/typescript.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
const stamp = join(dist, '.built');
const log = (msg) => process.stderr.write(`build: ${msg}\n`);

// Everything under src/ except the addon's own build output and test files.
const files = readdirSync(src, { recursive: true })
  .map(String)
  .filter((f) => !f.includes('addon/build/') && !/\.test\.ts$/.test(f) && statSync(join(src, f)).isFile());
const inputs = [...files.map((f) => join(src, f)), join(root, 'tsconfig.json'), join(root, 'tsconfig.build.json')];
const newest = Math.max(...inputs.map((f) => statSync(f).mtimeMs));
if (existsSync(stamp) && statSync(stamp).mtimeMs > newest && !process.argv.includes('--force')) {
  log('dist/ is up to date');
  process.exit(0);
}

const tsc = join(root, 'node_modules/typescript/bin/tsc');
if (!existsSync(tsc)) {
  log('node_modules/typescript is missing (run npm ci)');
  process.exit(1);
}
const started = Date.now();
rmSync(dist, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  log(`tsc failed (exit ${r.status}): see the errors above`);
  process.exit(1);
}
// Run-time files that are not TypeScript (scripts, data tables), not the addon's C++ sources (the
// addon loads from src/backend/native/addon/build, where it was built) nor test fixtures.
const assets = files.filter((f) => !/\.(ts|cc|h|gyp)$/.test(f) && !f.includes('testdata/'));
for (const f of assets) {
  mkdirSync(dirname(join(dist, f)), { recursive: true });
  copyFileSync(join(src, f), join(dist, f));
}
writeFileSync(stamp, `${new Date().toISOString()}\n`);
log(`compiled src/ to dist/ in ${((Date.now() - started) / 1000).toFixed(0)} s`);
