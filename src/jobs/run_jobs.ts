/**
 * The loop every multi-run experiment shares (tuning, cross-validation): keep each of a
 * scheduler's slots busy with the next job until there are none left, hand each job's epochs and
 * result to the caller as they arrive, and stop cleanly on a failure or an abort.
 */
import type { EpochMetrics } from '../train/types.ts';
import { Interrupted } from '../util/interrupt.ts';
import type { Job, JobResult } from './job.ts';
import type { Scheduler } from './scheduler.ts';

/** A job to start, and what to do with what it reports. */
export interface JobLaunch {
  job: Job;
  onEpoch?: (m: EpochMetrics) => void;
  /** The job's result (a failed trial is a result too); an exception here counts as a failure. */
  onResult: (r: JobResult) => void;
}

export interface JobLoop {
  /** The next job, or undefined when there is none to start; asked whenever a slot is free. */
  next: () => JobLaunch | undefined;
  /** Aborting it stops the running jobs at their next batch (their checkpoints stay) and starts no more. */
  signal?: AbortSignal;
  /** What to throw once everything has stopped after an abort (default: Interrupted). */
  interrupted?: () => Error;
}

/**
 * Run jobs until `next()` has no more and every started one has ended. When a job fails (a bug,
 * a dead worker — not a failed trial, which is a result) no new job starts, the running ones end,
 * and the first error is thrown; when the signal is aborted, `interrupted()` is thrown instead.
 */
export async function runJobs(scheduler: Scheduler, o: JobLoop): Promise<void> {
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const aborted = () => o.signal?.aborted === true;

  while (true) {
    while (!failure && !aborted() && running.size < scheduler.slots) {
      const launch = o.next();
      if (!launch) break;
      const p: Promise<void> = scheduler.run(launch.job, { onEpoch: launch.onEpoch, signal: o.signal })
        .then(launch.onResult)
        .catch((error: unknown) => { failure ??= { error }; })
        .finally(() => running.delete(p));
      running.add(p);
    }
    if (!running.size) break;
    await Promise.race(running);
  }
  if (aborted()) throw o.interrupted?.() ?? new Interrupted('interrupted');
  if (failure) throw failure.error;
}
