/**
 * The sandboxed BullMQ processor (a child process of `fmnist worker`; BullMQ forks and reuses it):
 * validate the payload, refuse jobs made with other data or another project version, run the job
 * as an ordinary training run in this worker's own folder, report each epoch as job progress, and
 * return the run folder's files. CPU-bound training lives here, so the parent's lock renewal never
 * starves.
 */
import { cpSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { UnrecoverableError, type SandboxedJob } from 'bullmq';
import { Redis } from 'ioredis';
import { initBackend, type BackendName } from '../backend/select.ts';
import { parsePrecision } from '../backend/precision.ts';
import { parseTrainConfig } from '../config.ts';
import { loadFashionMnist, type FashionMnist } from '../data/dataset.ts';
import { packageVersion } from '../train/run_folder.ts';
import { errorMessage } from '../util/errors.ts';
import type { PeerCurve } from '../search/types.ts';
import { JobRunner, type Job } from './job.ts';
import { INLINE_LIMIT, PayloadSchema, peersKey, runFolderFiles, type RemoteResult } from './remote.ts';

// The worker that forked us is gone (e.g. kill -9): stop, so its job is not trained twice here.
process.on('disconnect', () => process.exit(1));

let started: Promise<{ data: FashionMnist; runner: JobRunner }> | undefined;
const start = () => (started ??= (async () => {
  await initBackend((process.env.FMNIST_BACKEND ?? 'auto') as BackendName, Number(process.env.FMNIST_THREADS) || 1, parsePrecision(process.env.FMNIST_PRECISION, 'FMNIST_PRECISION'));
  const data = loadFashionMnist({ dataDir: process.env.FMNIST_DATA_DIR || undefined });
  return { data, runner: new JobRunner(data) };
})());

let redis: Redis | undefined;

export default async function process_(job: SandboxedJob): Promise<RemoteResult> {
  const parsed = PayloadSchema.safeParse(job.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UnrecoverableError(`malformed job payload: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const p = parsed.data;
  let config;
  try {
    config = parseTrainConfig(p.job.config, `${p.job.name} config`);
  } catch (err) {
    throw new UnrecoverableError(`bad job config: ${errorMessage(err)}`);
  }
  if (p.version !== packageVersion()) throw new UnrecoverableError(`refused by ${hostname()}: project version ${packageVersion()} here, the job was made with ${p.version}`);
  const { data, runner } = await start();
  for (const want of p.data) {
    const have = data.files.find((f) => f.file === want.file);
    if (!have) throw new UnrecoverableError(`refused by ${hostname()}: data differs: no ${want.file} here`);
    if (have.sha256 !== want.sha256) throw new UnrecoverableError(`refused by ${hostname()}: data differs: ${want.file} sha256 ${have.sha256.slice(0, 12)}… here, ${want.sha256.slice(0, 12)}… in the job`);
  }

  // Our own folder: <work>/<group>/<name>, names checked by the schema.
  const work = resolve(process.env.FMNIST_WORKER_DIR ?? 'runs/worker');
  const outDir = join(work, p.job.group, p.job.name);
  const local: Job = { ...p.job, config, outDir, db: null };

  // Live peer curves for the pruner: the coordinator keeps them in a Redis hash.
  let poll: NodeJS.Timeout | undefined;
  if (p.job.prune && process.env.FMNIST_REDIS_URL) {
    redis ??= new Redis(process.env.FMNIST_REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: false });
    redis.on('error', () => { /* the snapshot in the job still prunes */ });
    const read = async () => {
      try {
        const all = await redis!.hgetall(peersKey(p.job.group));
        for (const v of Object.values(all)) runner.publish(JSON.parse(v) as PeerCurve);
      } catch { /* best effort */ }
    };
    poll = setInterval(read, 3000);
  }
  try {
    const result = await runner.run(local, { onEpoch: (m) => void job.updateProgress({ epoch: m }) });
    const files = runFolderFiles(outDir);
    const size = files.reduce((s, f) => s + f.size, 0);
    if (size <= INLINE_LIMIT) {
      return { result, host: hostname(), files: Object.fromEntries(files.map((f) => [f.name, readFileSync(join(outDir, f.name)).toString('base64')])) };
    }
    const shared = process.env.FMNIST_ARTIFACTS;
    if (!shared) throw new UnrecoverableError(`${p.job.name}: the run folder is ${(size / 2 ** 20).toFixed(0)} MB, above the ${INLINE_LIMIT >> 20} MB that travel through Redis: start the workers and the coordinator with --artifacts DIR on shared storage`);
    const rel = join(p.job.group, p.job.name);
    for (const f of files) cpSync(join(outDir, f.name), join(resolve(shared), rel, f.name));
    return { result, host: hostname(), artifacts: rel };
  } finally {
    if (poll) clearInterval(poll);
  }
}
