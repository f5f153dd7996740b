/**
 * The child-process side of ProcessPoolScheduler: start the backend (FMNIST_BACKEND, with
 * FMNIST_THREADS threads), load the data once, then run jobs one at a time as the parent sends
 * them, reporting every epoch. Exits when the parent goes away, so a killed study leaves no
 * orphans behind.
 *
 * Stopping: each job gets its own AbortController, aborted by the parent's 'cancel' message for
 * that job (the worker then takes the next one) or by SIGINT/SIGTERM to this process — Ctrl-C
 * reaches the whole process group — after which the worker reports the job and exits with 130;
 * a second signal exits at once.
 */
import { initBackend, type BackendName } from '../backend/select.ts';
import { parsePrecision } from '../backend/precision.ts';
import { loadFashionMnist } from '../data/dataset.ts';
import { asUserError, errorMessage } from '../util/errors.ts';
import { JobRunner } from './job.ts';
import type { FromWorker, ToWorker } from './scheduler.ts';

export async function serveJobs(): Promise<void> {
  if (!process.send) throw new Error('the tuning worker must be started by ProcessPoolScheduler (no IPC channel)');
  // Resolves once the message is handed to the channel, so exiting right after cannot lose it; a
  // closed channel (the parent is gone or stopping) is no error: nobody is left to read it.
  const send = (m: FromWorker) => new Promise<void>((done) => {
    if (!process.connected) return done();
    try {
      process.send!(m, () => done());
    } catch {
      done();
    }
  });
  // The parent died or closed the channel: nobody will read our results.
  process.on('disconnect', () => process.exit(1));

  const running = new Map<number, AbortController>();
  let signalled = false;
  const stop = () => {
    if (signalled || running.size === 0) process.exit(130);
    signalled = true;
    for (const c of running.values()) c.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  // Listening before start-up (seconds: backend, data), so that the parent's 'exit' — it is
  // stopping, e.g. after a Ctrl-C — is obeyed at once instead of being lost while we load.
  let runner: JobRunner | undefined;
  process.on('message', (msg: ToWorker) => {
    if (msg.type === 'peer') runner?.publish(msg.curve);
    else if (msg.type === 'cancel') running.get(msg.id)?.abort();
    else if (msg.type === 'exit') { runner?.close(); if (process.connected) process.disconnect(); process.exit(0); }
    else if (msg.type === 'job') {
      if (!runner) {
        void send({ type: 'error', id: msg.id, message: 'worker: a job arrived before start-up finished', user: false });
        return;
      }
      const r = runner;
      const controller = new AbortController();
      running.set(msg.id, controller);
      r.run(msg.job, { onEpoch: (m) => send({ type: 'epoch', id: msg.id, m }), signal: controller.signal })
        .then((result) => send({ type: 'result', id: msg.id, result }))
        .catch(async (err: unknown) => {
          const user = asUserError(err);
          await send({ type: 'error', id: msg.id, message: user?.message ?? errorMessage(err), user: Boolean(user), exitCode: user?.exitCode });
        })
        .finally(() => {
          running.delete(msg.id);
          // Signalled: the parent is stopping too.
          if (signalled) { r.close(); process.exit(130); }
        });
    }
  });

  try {
    await initBackend((process.env.FMNIST_BACKEND ?? 'auto') as BackendName, undefined, parsePrecision(process.env.FMNIST_PRECISION, 'FMNIST_PRECISION'));
    runner = new JobRunner(loadFashionMnist({ dataDir: process.env.FMNIST_DATA_DIR }));
  } catch (err) {
    await send({ type: 'fatal', message: asUserError(err)?.message ?? errorMessage(err) });
    process.exit(2);
  }
  await send({ type: 'ready' });
}
