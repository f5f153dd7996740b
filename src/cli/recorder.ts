/** The CLI's link to the run store: every train/study run is recorded (--db chooses the file). */
import { RunStore, defaultDbPath } from '../store/run_store.ts';
import type { RunRecorder } from '../train/types.ts';

export async function openRecorder(db: string | undefined, kind: 'train' | 'study'): Promise<RunRecorder> {
  const store = RunStore.open(db ?? defaultDbPath());
  return store.recorder({ kind: kind === 'study' ? 'train' : kind, group: kind === 'study' ? 'study' : undefined });
}
