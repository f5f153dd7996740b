/**
 * The layering of src/ (docs/ARCHITECTURE.md, "Layers"): a folder may import at run time only from
 * folders in lower layers (or its own); type-only imports are free, since they vanish when the
 * code runs. The test reads every non-test source file's relative imports, so a new upward import
 * fails here naming the file and the import.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = dirname(fileURLToPath(import.meta.url));

/** Lowest first. Folders on one line are one layer: they do not import each other. */
export const LAYERS: string[][] = [
  ['util'],
  ['config', 'recipes'],
  ['draw'],
  ['data'],
  ['backend'],
  ['keras'],
  ['store'],
  ['models'],
  ['train'],
  ['evaluate'],
  ['search'],
  ['jobs'],
  ['tune', 'transfer'],
  ['report'],
  ['pipeline', 'bench'],
  ['web'],
  ['api'],
  ['cli'],
];

/** The top-level folder (or file, e.g. config.ts → 'config') a path under src/ belongs to. */
const unitOf = (path: string) => path.split('/')[0].replace(/\.ts$/, '');

/** Run-time imports between units: [from file, to file]. */
function runtimeImports(): [string, string][] {
  const files = readdirSync(SRC, { recursive: true }).map(String)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.includes('node_modules'));
  // `import x from '…'`, `export … from '…'` (not `import type` / `export type`), and `import('…')`.
  const statement = /^\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.[^'"]+)['"]|\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/gm;
  const out: [string, string][] = [];
  for (const f of files) {
    const text = readFileSync(join(SRC, f), 'utf8');
    for (const m of text.matchAll(statement)) {
      if (m[1]) continue;
      const target = relative(SRC, resolve(dirname(join(SRC, f)), m[2] ?? m[3]));
      if (!target.startsWith('..')) out.push([f, target]);
    }
  }
  return out;
}

test('every folder of src/ has a layer', () => {
  const units = new Set(readdirSync(SRC).filter((f) => !f.endsWith('.test.ts')).map(unitOf));
  const placed = new Set(LAYERS.flat());
  assert.deepEqual([...units].filter((u) => !placed.has(u)), [], 'add new folders to LAYERS (and to docs/ARCHITECTURE.md)');
});

test('run-time imports point down the layers: no folder imports one above it or beside it', () => {
  const level = new Map(LAYERS.flatMap((units, i) => units.map((u) => [u, i] as const)));
  const upward = runtimeImports()
    .filter(([from, to]) => unitOf(from) !== unitOf(to) && (level.get(unitOf(to)) ?? -1) >= (level.get(unitOf(from)) ?? -1))
    .map(([from, to]) => `${from} → ${to}`);
  assert.deepEqual(upward, []);
});

test('the scanner sees real imports (it would catch one)', () => {
  const edges = runtimeImports();
  assert.ok(edges.some(([from, to]) => from.startsWith('cli/') && to.startsWith('pipeline/')), 'cli imports pipeline');
  assert.ok(edges.length > 100);
});
