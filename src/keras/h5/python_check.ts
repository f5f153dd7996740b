/**
 * The Python side of the Keras HDF5 round trip, for tests: run check_keras_h5.py (h5py, as
 * Debian's python3-h5py provides it) on a file we wrote.
 */
import { execFileSync } from 'node:child_process';

const CHECKER = new URL('./check_keras_h5.py', import.meta.url).pathname;

/** h5py in Debian's python3-h5py, for the Python-side checks; null when it is not installed. */
export function h5pyPython(): string | null {
  for (const py of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(py, ['-c', 'import h5py, numpy'], { stdio: 'ignore' });
      return py;
    } catch { /* try the next */ }
  }
  return null;
}

/** Run check_keras_h5.py on a file: the layout h5py sees, and its problems. */
export function pythonCheck(py: string, file: string): { keras_version: string; class_name: string | null; layers: { name: string; weights: { name: string; shape: number[] }[] }[]; tensors: number; values: number; problems: string[] } {
  let out: string;
  try {
    out = execFileSync(py, [CHECKER, file], { encoding: 'utf8' });
  } catch (err) {
    out = String((err as { stdout?: string }).stdout ?? '');
    if (!out) throw err;
  }
  return JSON.parse(out);
}

