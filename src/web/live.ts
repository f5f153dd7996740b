/**
 * Live progress of a run being trained by another process: its folder's metrics.jsonl and
 * run.json are watched (fs.watch, plus a poll every second because fs.watch misses events on some
 * file systems and never fires for atomic renames on others) and each change is one snapshot.
 * The watch ends when the run is no longer running, or when its folder disappears.
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { readMetrics, readRunJson } from '../train/run_folder.ts';
import type { EpochMetrics } from '../train/types.ts';

export interface Progress {
  status: string;
  epochsCompleted: number;
  /** Epochs the run was configured for. */
  epochs: number | null;
  /** Seconds until the last epoch at the mean epoch time so far; null before the first epoch or once finished. */
  etaSeconds: number | null;
  history: EpochMetrics[];
}

export function progressOf(dir: string): Progress | undefined {
  const run = readRunJson(dir);
  if (!run) return undefined;
  let history: EpochMetrics[] = [];
  try {
    history = readMetrics(dir);
  } catch {
    // a line being appended right now: the next poll reads it whole
  }
  const epochs = typeof run.config?.epochs === 'number' ? run.config.epochs : null;
  const mean = history.length ? history.reduce((a, h) => a + h.seconds, 0) / history.length : null;
  const running = run.status === 'running';
  return {
    status: run.status ?? 'unknown', epochsCompleted: history.length, epochs,
    etaSeconds: running && mean !== null && epochs !== null ? Math.max(0, epochs - history.length) * mean : null,
    history,
  };
}

export type LiveEvent = { type: 'progress'; progress: Progress } | { type: 'end'; progress: Progress } | { type: 'gone' };

/**
 * Call `on` with each new snapshot of the run in `dir` until it ends; returns the function that
 * stops watching. `deadStatus` is asked on every poll: a process killed mid-run leaves run.json
 * saying 'running' for ever, and the run store (which checks the pid) is what knows it died.
 */
export function watchRun(dir: string, on: (e: LiveEvent) => void, o: { pollMs?: number; deadStatus?: () => string | undefined } = {}): () => void {
  let last = '';
  let watcher: FSWatcher | undefined;
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    watcher?.close();
  };
  const check = () => {
    if (stopped) return;
    if (!existsSync(dir)) {
      stop();
      on({ type: 'gone' });
      return;
    }
    const p = progressOf(dir);
    if (!p) return;
    if (p.status === 'running') p.status = o.deadStatus?.() ?? p.status;
    const key = `${p.status}/${p.epochsCompleted}`;
    if (key === last) return;
    last = key;
    if (p.status === 'running') on({ type: 'progress', progress: p });
    else {
      stop();
      on({ type: 'end', progress: p });
    }
  };
  const timer = setInterval(check, o.pollMs ?? 1000);
  try {
    watcher = watch(dir, () => check());
    watcher.on('error', () => check()); // the folder was deleted: the check says so
  } catch {
    // no fs.watch here: the poll alone
  }
  queueMicrotask(check);
  return stop;
}
