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
import { loadFashionMnist } from '../data/dataset.ts';
import { UserError, errorMessage } from '../util/errors.ts';
import { JobRunner } from './job.ts';
import type { FromWorker, ToWorker } from './scheduler.ts';

export async function serveJobs(): Promise<void> {
  if (!process.send) throw new Error('the tuning worker must be started by ProcessPoolScheduler (no IPC channel)');
  // Resolves once the message is handed to the channel, so exiting right after cannot lose it.
  const send = (m: FromWorker) => new Promise<void>((done) => process.send!(m, () => done()));
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

  let runner: JobRunner;
  try {
    await initBackend((process.env.FMNIST_BACKEND ?? 'auto') as BackendName);
    runner = new JobRunner(loadFashionMnist({ dataDir: process.env.FMNIST_DATA_DIR }));
  } catch (err) {
    await send({ type: 'fatal', message: errorMessage(err) });
    process.exit(2);
  }

  process.on('message', (msg: ToWorker) => {
    if (msg.type === 'peer') runner.publish(msg.curve);
    else if (msg.type === 'cancel') running.get(msg.id)?.abort();
    else if (msg.type === 'exit') { runner.close(); process.disconnect(); process.exit(0); }
    else if (msg.type === 'job') {
      const controller = new AbortController();
      running.set(msg.id, controller);
      runner.run(msg.job, { onEpoch: (m) => send({ type: 'epoch', id: msg.id, m }), signal: controller.signal })
        .then((result) => send({ type: 'result', id: msg.id, result }))
        .catch(async (err: unknown) => {
          const user = err instanceof UserError;
          await send({ type: 'error', id: msg.id, message: errorMessage(err), user, exitCode: user ? err.exitCode : undefined });
        })
        .finally(() => {
          running.delete(msg.id);
          // Signalled: the parent is stopping too.
          if (signalled) { runner.close(); process.exit(130); }
        });
    }
  });
  send({ type: 'ready' });
}
