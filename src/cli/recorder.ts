import type { RunRecorder } from '../train/types.ts';
// Wired to the SQLite run store once src/store/db.ts lands.
export async function openRecorder(_db: string | undefined, _kind: string): Promise<RunRecorder | undefined> {
  return undefined;
}
