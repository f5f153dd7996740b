/**
 * The docs stay true to the code: every `fmnist …` command line in the README and the guides names a
 * real command and only options that command has; every name docs/api.md imports is exported by the
 * library (src/api.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { buildProgram } from './main.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const docs = ['README.md', ...readdirSync(join(root, 'docs/guide')).map((f) => `docs/guide/${f}`), 'docs/api.md'];

/** Each `fmnist …` command line inside the docs' code blocks and inline code, as argv. */
function commandLines(text: string): string[][] {
  const found = [...text.matchAll(/(?:npx )?\bfmnist((?: [^`\n#|;&<>…]+)+)/g)].map((m) => m[1].trim());
  return found.map((line) => line.split(/\s+/).filter(Boolean));
}

/** The (sub)command argv names and the tokens left for it (option values skipped as Commander would). */
function resolveCommand(program: Command, argv: string[]): { cmd?: Command; rest: string[] } {
  let cmd = program;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('-')) {
      rest.push(a);
      const opt = [...cmd.options, ...program.options].find((o) => o.long === a || o.short === a);
      if (opt && (opt.required || opt.optional) && !a.includes('=')) i++;
      continue;
    }
    const sub = cmd.commands.find((c) => c.name() === a);
    if (sub) cmd = sub;
  }
  return { cmd: cmd === program ? undefined : cmd, rest };
}

test('every fmnist command line in README.md and docs/guide names a command and options it has', () => {
  const program = buildProgram();
  const globals = new Set(program.options.map((o) => o.long));
  let checked = 0;
  for (const doc of docs) {
    for (const argv of commandLines(readFileSync(join(root, doc), 'utf8'))) {
      if (argv[0] === '<command>' || argv[0]?.startsWith('--help')) continue;
      const { cmd, rest } = resolveCommand(program, argv);
      assert.ok(cmd, `${doc}: 'fmnist ${argv.join(' ')}': no such command`);
      const known = new Set([...cmd.options.map((o) => o.long), ...cmd.options.map((o) => o.long?.replace(/^--no-/, '--')), ...globals, '--help']);
      for (const a of rest.filter((r) => r.startsWith('--'))) {
        const flag = a.split('=')[0];
        assert.ok(known.has(flag), `${doc}: 'fmnist ${argv.join(' ')}': ${cmd.name()} has no option ${flag}`);
      }
      checked++;
    }
  }
  assert.ok(checked > 30, `only ${checked} command lines found: is the pattern still right?`);
});

test('every name docs/api.md imports from the package is exported by src/api.ts', async () => {
  const api = await import('../api.ts');
  const text = readFileSync(join(root, 'docs/api.md'), 'utf8');
  const names = [...text.matchAll(/import \{([^}]+)\} from 'fashion-mnist-lab'/g)].flatMap((m) => m[1].split(',').map((n) => n.trim())).filter((n) => /^\w+$/.test(n));
  assert.ok(names.length >= 10);
  for (const n of names) assert.ok(n in api, `docs/api.md imports ${n}, which src/api.ts does not export`);
});
