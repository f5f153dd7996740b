/**
 * What every command shares: the global options, backend start-up with its one-line message,
 * and output that is either human text or one JSON document (--json).
 */
import type { Command } from 'commander';
import type { BackendInfo } from '../backend/select.ts';
import { BACKENDS, type BackendName } from '../backend/names.ts';
import { parsePrecision, type PrecisionSetting } from '../backend/precision.ts';
import { DB_ENV, DEFAULT_DB } from '../store/run_store.ts';
import { RELEASED, releasedModelDir } from '../store/released.ts';
import { UserError } from '../util/errors.ts';

export interface GlobalOptions {
  backend: BackendName;
  threads?: number;
  /** Compute precision (--precision, env FMNIST_PRECISION; default auto). */
  precision: PrecisionSetting;
  /** Whether the user chose the precision (flag or env) rather than taking the default. */
  precisionGiven: boolean;
  dataDir?: string;
  json: boolean;
  debug: boolean;
}

/** The global options as seen from any (sub)command. */
export function globals(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals() as Record<string, unknown>;
  const backend = String(o.backend ?? process.env.FMNIST_BACKEND ?? 'auto') as BackendName;
  if (!BACKENDS.includes(backend)) throw new UserError(`unknown backend '${backend}': use one of ${BACKENDS.join(', ')}`);
  return {
    backend,
    threads: o.threads as number | undefined,
    precision: o.precision !== undefined ? parsePrecision(String(o.precision)) : parsePrecision(process.env.FMNIST_PRECISION, 'FMNIST_PRECISION'),
    precisionGiven: o.precision !== undefined || process.env.FMNIST_PRECISION !== undefined,
    dataDir: o.dataDir as string | undefined,
    json: Boolean(o.json),
    debug: Boolean(o.debug),
  };
}

/**
 * Start the chosen backend and print which one runs, with how many threads and in which precision
 * (stderr). `inference`: commands that score saved models (evaluate, predict, serve) take `auto` as
 * fp32, so their figures are those of the saved float32 model in any tfjs; bf16 only when asked.
 */
export async function useBackend(g: GlobalOptions, o: { inference?: boolean } = {}): Promise<BackendInfo> {
  const precision = o.inference && g.precision === 'auto' ? 'fp32' : g.precision;
  const { describeBackend, initBackend } = await import('../backend/select.ts'); // tfjs loads here, not for --help
  const info = await initBackend(g.backend, g.threads, precision);
  const shown = precision === g.precision ? info : { ...info, precisionWhy: 'fp32: auto scores saved models in float32' };
  process.stderr.write(describeBackend(shown) + '\n');
  return info;
}

/** Print a result: JSON on stdout with --json, else the human text. */
export function emit(g: GlobalOptions, json: unknown, human: () => string): void {
  process.stdout.write(g.json ? JSON.stringify(json, null, 2) + '\n' : human() + '\n');
}

/** A progress/status line for people (stderr, so stdout stays machine-readable). */
export function say(line: string): void {
  process.stderr.write(line + '\n');
}

/** The help of every command's --db option. */
export const DB_HELP = `run store (default ${DEFAULT_DB}, env ${DB_ENV})`;

/** Parsers for commander options: one-line errors that name the flag. */
export const parse = {
  int(flag: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
    return (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        const range = max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : min > Number.MIN_SAFE_INTEGER ? ` ≥ ${min}` : '';
        throw new UserError(`${flag} must be a whole number${range}, got '${v}'`);
      }
      return n;
    };
  },
  num(flag: string) {
    return (v: string) => {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new UserError(`${flag} must be a number, got '${v}'`);
      return n;
    };
  },
};

/** The model folder a scoring command reads: a released model's (--model NAME) or the run folder given. */
export function modelDir(dir: string | undefined, model?: string): string {
  if (model !== undefined && dir !== undefined) throw new UserError(`give a run folder or --model ${model}, not both`);
  if (model !== undefined) return releasedModelDir(model);
  if (dir === undefined) throw new UserError(`give a run folder (e.g. runs/train/…) or --model NAME (${Object.keys(RELEASED).join(', ')})`);
  return dir;
}
