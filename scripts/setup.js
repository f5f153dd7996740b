#!/usr/bin/env node
// Idempotent setup for `npm start` and `npm test` on a fresh Debian machine with Node 20:
// npm packages (npm ci), Debian packages when root (the dataset, fonts for figures, the native
// toolchain), and the native oneDNN backend. Plain JavaScript with no dependencies, because it
// runs before node_modules exists. Says clearly what it could not do, and carries on where the
// project still works without it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (msg) => process.stderr.write(`setup: ${msg}\n`);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  return r.status === 0;
}

// ---- Node
const major = Number(process.versions.node.split('.')[0]);
if (major < 20) {
  log(`Node.js ${process.versions.node} is too old: install Node.js 20 or newer`);
  process.exit(1);
}

// ---- npm packages: install when node_modules is missing or older than the lock file.
const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  log('installing npm packages (npm ci)…');
  // onnxruntime-node (a dev dependency: the ONNX export's tests) ships its CPU runtime in the package;
  // its install script would fetch extras from outside the npm registry.
  if (!run('npm', ['ci', '--no-audit', '--no-fund'], { env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } })) {
    log('npm ci failed: see the messages above (is the npm registry reachable?)');
    process.exit(1);
  }
}

// ---- Debian packages
function dpkgInstalled(pkg) {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Status}', pkg], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().includes('install ok installed');
  } catch {
    return false;
  }
}
const hasApt = existsSync('/usr/bin/apt-get');
function hasCommand(cmd) {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}
const dataDirs = [process.env.FMNIST_DATA_DIR, join(root, 'data/fashion-mnist'), '/usr/share/datasets/fashion-mnist'].filter(Boolean);
const haveData = dataDirs.some((d) => existsSync(join(d, 'train-images-idx3-ubyte.gz')) || existsSync(join(d, 'train-images-idx3-ubyte')));
// Not python3-torch: only `fmnist bench`'s PyTorch peer (bench/peer_pytorch.py) needs it, about 1 GB,
// and `fmnist bench` names the package when it is missing.
const wanted = [
  // The data, unless the user has it elsewhere.
  ...(!haveData ? ['dataset-fashion-mnist'] : []),
  // Text in the PNG figures (charts are rendered with this font).
  'fonts-dejavu-core',
  // Many machines (fmnist worker, --redis): the tests start their own redis-server on a free port.
  ...(!hasCommand('redis-server') ? ['redis-server'] : []),
  // The browser tests (src/web/browser.test.ts) drive Debian's Chromium headless through playwright-core.
  ...(!existsSync('/usr/bin/chromium') ? ['chromium'] : []),
].filter((p) => !dpkgInstalled(p));
if (wanted.length && hasApt) {
  if (isRoot) {
    log(`installing Debian packages: ${wanted.join(' ')}…`);
    // Wait for another apt/dpkg run (unattended upgrades, a second setup) instead of failing at once.
    const lock = ['-o', 'DPkg::Lock::Timeout=600'];
    const ok = run('apt-get', [...lock, 'update', '-qq']) && run('apt-get', [...lock, 'install', '-y', '-qq', '--no-install-recommends', ...wanted], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (!ok) log(`could not install ${wanted.join(' ')}; run: sudo apt-get install ${wanted.join(' ')}`);
  } else {
    log(`missing Debian packages; run: sudo apt-get install ${wanted.join(' ')}`);
  }
} else if (wanted.length) {
  log(`not a Debian system: get Fashion-MNIST with 'npx fmnist data fetch' or pass --data-dir`);
}

// The Debian package starts a system redis-server on 6379 where an init system runs; the tests
// start their own (127.0.0.1, a free port, a password) and need none: stop it when we installed it.
if (wanted.includes('redis-server') && isRoot && hasCommand('redis-server')) {
  spawnSync('service', ['redis-server', 'stop'], { stdio: 'ignore' });
  spawnSync('systemctl', ['disable', '--now', 'redis-server'], { stdio: 'ignore' });
}
if (!existsSync('/usr/bin/chromium')) log('chromium is missing: the browser tests (src/web/browser.test.ts) will be skipped; install it with: sudo apt-get install chromium');
if (!hasCommand('redis-server')) log('redis-server is missing: the BullMQ tests (src/jobs/remote.test.ts) will be skipped; install it with: sudo apt-get install redis-server');

// ---- native backend (oneDNN): builds when it can, otherwise the project runs on wasm.
const buildNative = join(root, 'scripts', 'build-native.js');
if (existsSync(buildNative)) run(process.execPath, [buildNative]);

// ---- compiled JavaScript (dist/), which bin/fmnist.js and the package's exports run.
if (!run(process.execPath, [join(root, 'scripts', 'build.js')])) {
  log('could not compile src/ to dist/: see above; `fmnist` runs the sources through tsx meanwhile');
}
