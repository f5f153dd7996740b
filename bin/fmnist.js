#!/usr/bin/env node
// Entry point. Runs the compiled CLI (dist/, made by scripts/build.js at setup) when it is there and
// no source file is newer; otherwise the TypeScript sources through tsx (a clone being edited, or
// FMNIST_SOURCE=1), so what runs is never older than src/.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', '.built');

function distIsCurrent() {
  if (process.env.FMNIST_SOURCE === '1' || !existsSync(built)) return false;
  const src = join(root, 'src');
  if (!existsSync(src)) return true; // an installed package: dist/ is all there is
  const since = statSync(built).mtimeMs;
  // ~300 stat calls, about 3 ms.
  return readdirSync(src, { recursive: true })
    .map(String)
    .every((f) => !f.endsWith('.ts') || f.endsWith('.test.ts') || statSync(join(src, f)).mtimeMs < since);
}

let main;
if (distIsCurrent()) {
  ({ main } = await import('../dist/cli/main.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
