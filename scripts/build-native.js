#!/usr/bin/env node
// Builds the native (oneDNN) tfjs backend's addon: src/backend/native/addon → build/Release/fmnist_native.node.
//
// Idempotent: does nothing when the addon is newer than its sources. Needs Debian's libdnnl-dev
// (oneDNN 2.x headers and library), a C++ compiler, make and python3 (node-gyp's); installs them
// with apt-get when run as root, otherwise says which command to run. Always exits 0, so setup
// carries on and the project runs on the wasm backend when the native one cannot be built.
// Plain JavaScript with no dependencies beyond node_modules/node-gyp.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const addonDir = join(root, 'src/backend/native/addon');
const output = join(addonDir, 'build/Release/fmnist_native.node');
// Resolved as Node resolves it: in a clone it is root/node_modules; where the package is installed
// into another project, npm may have hoisted it to that project's node_modules.
const nodeGyp = (() => {
  try {
    return createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return join(root, 'node_modules/node-gyp/bin/node-gyp.js');
  }
})();
const log = (msg) => process.stderr.write(`build-native: ${msg}\n`);
const notBuilt = (why) => {
  log(`native backend not built: ${why}`);
  process.exit(0);
};
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

// ---- instruction set: our own loops (batch norm, elementwise, pooling) compiled for x86-64-v3 (AVX2,
// FMA) when this CPU has it: 8 floats per instruction instead of SSE2's 4 (ResNet-9-s bf16 step
// 157 → 145 ms on Intel Xeon AMX). oneDNN picks its own ISA at run time either way. The choice is
// recorded beside the addon (target.json): addon.ts refuses a build whose ISA the CPU lacks (a
// folder moved to another machine) instead of dying of SIGILL, and a rebuild happens here when the
// recorded choice is not this machine's.
const X86_64_V3 = ['avx', 'avx2', 'bmi1', 'bmi2', 'f16c', 'fma', 'abm', 'movbe', 'xsave'];
const cpuFlags = (() => {
  try {
    return new Set((readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m) || ['', ''])[1].trim().split(/\s+/));
  } catch {
    return new Set();
  }
})();
const target = process.arch === 'x64' && X86_64_V3.every((f) => cpuFlags.has(f)) ? { march: 'x86-64-v3', needs: X86_64_V3 } : { march: null, needs: [] };
const targetFile = join(dirname(output), 'target.json');
const builtFor = existsSync(targetFile) ? JSON.parse(readFileSync(targetFile, 'utf8')).march ?? null : undefined;

// ---- up to date?
const sources = readdirSync(addonDir).filter((f) => /\.(cc|h|gyp)$/.test(f)).map((f) => join(addonDir, f));
const newestSource = Math.max(...sources.map((f) => statSync(f).mtimeMs));
const upToDate = existsSync(output) && statSync(output).mtimeMs > newestSource && builtFor === target.march;
if (upToDate && !process.argv.includes('--force')) {
  log('native addon is up to date');
  process.exit(0);
}

// ---- toolchain: Debian package → how to tell it is there.
const onPath = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const requirements = [
  ['libdnnl-dev', () => existsSync('/usr/include/oneapi/dnnl/dnnl.hpp')],
  ['g++', () => onPath('g++') || onPath('c++')],
  ['make', () => onPath('make')],
  ['python3', () => onPath('python3')],
];
let missing = requirements.filter(([, ok]) => !ok()).map(([pkg]) => pkg);
if (missing.length) {
  if (!existsSync('/usr/bin/apt-get')) notBuilt(`needs oneDNN 2.x, a C++ compiler, make and python3 (not a Debian system: install them yourself)`);
  if (!isRoot) notBuilt(`missing ${missing.join(', ')}; run: sudo apt-get install -y ${missing.join(' ')}`);
  log(`installing ${missing.join(' ')} (apt-get)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Wait for another apt/dpkg run (unattended upgrades, a second setup) instead of failing at once.
  const apt = (args) => spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', ...args], { stdio: ['ignore', 'inherit', 'inherit'], env }).status === 0;
  if (!apt(['update', '-qq']) || !apt(['install', '-y', '-qq', '--no-install-recommends', ...missing])) {
    notBuilt(`apt-get install ${missing.join(' ')} failed (see above)`);
  }
  missing = requirements.filter(([, ok]) => !ok()).map(([pkg]) => pkg);
  if (missing.length) notBuilt(`still missing after apt-get: ${missing.join(', ')}`);
}
if (!existsSync(nodeGyp)) notBuilt('node_modules/node-gyp is missing (run npm ci)');

// ---- Node headers: those installed next to this node binary when they match its version (Debian's
// nodejs / NodeSource packages put them in /usr/include/node), so no download is needed; otherwise
// node-gyp fetches them into its cache.
const gypArgs = [];
const prefix = join(dirname(process.execPath), '..');
const versionHeader = join(prefix, 'include/node/node_version.h');
if (existsSync(versionHeader)) {
  const h = readFileSync(versionHeader, 'utf8');
  const v = ['MAJOR', 'MINOR', 'PATCH'].map((p) => (h.match(new RegExp(`#define NODE_${p}_VERSION (\\d+)`)) || [])[1]).join('.');
  if (v === process.versions.node) gypArgs.push(`--nodedir=${prefix}`);
}

// ---- build (about 1.5 min of compiling on 2 cores)
log('building the oneDNN addon (node-gyp rebuild)…');
const started = Date.now();
const cxxflags = [process.env.CXXFLAGS, target.march && `-march=${target.march}`].filter(Boolean).join(' ');
const r = spawnSync(process.execPath, [nodeGyp, 'rebuild', '--directory', addonDir, `--jobs=${Math.max(1, cpus().length)}`, ...gypArgs], {
  cwd: root,
  env: { ...process.env, CXXFLAGS: cxxflags },
  stdio: ['ignore', 'ignore', 'pipe'],
  encoding: 'utf8',
});
if (r.status !== 0 || !existsSync(output)) {
  // Show the compiler's own errors (not node-gyp's stack trace), then the one-line verdict.
  const lines = (r.stderr || '').split('\n').filter((l) => /error|Error/.test(l) && !/^gyp (ERR|info)/.test(l));
  if (lines.length) process.stderr.write(lines.slice(0, 20).join('\n') + '\n');
  notBuilt(`node-gyp build failed (exit ${r.status}); the project runs on wasm`);
}

// ---- it must load (libdnnl and libgomp resolvable at run time)
const check = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(output)}).info()`], { encoding: 'utf8' });
if (check.status !== 0) {
  notBuilt(`built, but it does not load: ${(check.stderr || '').split('\n').find((l) => /Error/.test(l)) || 'unknown error'}`);
}
writeFileSync(targetFile, JSON.stringify(target) + '\n');
log(`native addon built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
