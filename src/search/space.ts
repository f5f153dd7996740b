/**
 * Search spaces: which TrainConfig keys a study varies, and how.
 *
 * A space file is one flat JSON object of TrainConfig keys. Each value is either a fixed setting
 * (applied to every trial) or a distribution:
 *
 *   { "type": "loguniform", "low": 1e-4, "high": 1e-2 }   uniform in log space (rates, decays)
 *   { "type": "uniform",    "low": 0,    "high": 0.5 }    uniform
 *   { "type": "int",        "low": 0,    "high": 2, "log": false }   whole numbers, both ends included
 *   { "type": "choice",     "values": [32, 64, 128] }     one of a list (numbers, strings, booleans)
 *
 * Every key must be a TrainConfig key and every value a distribution can produce must be a valid
 * setting for that key; anything else is refused with one line naming the key.
 */
import { readFileSync } from 'node:fs';
import { TrainConfigSchema, parseTrainConfig } from '../config.ts';
import { UserError } from '../util/errors.ts';
import type { Rng } from '../util/rng.ts';

export type ParamValue = number | string | boolean;
export type Params = Record<string, ParamValue>;

export type Distribution =
  | { type: 'uniform'; low: number; high: number }
  | { type: 'loguniform'; low: number; high: number }
  | { type: 'int'; low: number; high: number; log?: boolean }
  | { type: 'choice'; values: ParamValue[] };

export interface SearchSpace {
  /** Searched keys, sorted by name so sampling order (and so every seeded draw) is stable. */
  params: { key: string; dist: Distribution }[];
  /** Settings every trial gets. */
  fixed: Record<string, unknown>;
}

/** Keys the study itself controls (which images train and validate), never searched. */
const STUDY_KEYS = new Set(['limit', 'valSplit']);

/**
 * The default LeNet-5 space, around the project's recipe (AdamW 2e-3 cosine, shift 1 + flips):
 * wide enough that the recipe is inside it, narrow enough that a few dozen trials cover it.
 */
export function defaultSpace(epochs?: number): Record<string, unknown> {
  return {
    lr: { type: 'loguniform', low: 1e-4, high: 1e-2 },
    batchSize: { type: 'choice', values: [32, 64, 128, 256] },
    optimizer: { type: 'choice', values: ['adam', 'sgd', 'rmsprop'] },
    dropout: { type: 'uniform', low: 0, high: 0.5 },
    weightDecay: { type: 'loguniform', low: 1e-5, high: 1e-1 },
    labelSmoothing: { type: 'uniform', low: 0, high: 0.2 },
    augmentShift: { type: 'int', low: 0, high: 2 },
    augmentFlip: { type: 'choice', values: [true, false] },
    // Without a budget of their own, trials train for the base configuration's epochs: the final
    // schedule, so the winner is the best full-length recipe rather than the best short one.
    ...(epochs === undefined ? {} : { epochs }),
  };
}

const isDistribution = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validate a space object (from a file or defaultSpace); `origin` names it in errors. */
export function parseSpace(raw: unknown, origin = 'search space'): SearchSpace {
  if (!isDistribution(raw)) throw new UserError(`${origin}: expected a JSON object of training settings`);
  const known = Object.keys(TrainConfigSchema.shape);
  const params: SearchSpace['params'] = [];
  const fixed: Record<string, unknown> = {};
  for (const key of Object.keys(raw).sort()) {
    const v = raw[key];
    if (!known.includes(key)) throw new UserError(`${origin}: '${key}' is not a training setting (known: ${known.join(', ')})`);
    if (STUDY_KEYS.has(key)) throw new UserError(`${origin}: '${key}' is set by the study (--limit, --val-split), not the search space`);
    if (!isDistribution(v)) {
      checkValue(key, v, origin, 'fixed');
      fixed[key] = v;
      continue;
    }
    params.push({ key, dist: parseDistribution(key, v, origin) });
  }
  if (!params.length) throw new UserError(`${origin}: nothing to search (every key has a fixed value)`);
  return { params, fixed };
}

function parseDistribution(key: string, v: Record<string, unknown>, origin: string): Distribution {
  const where = `${origin}: '${key}'`;
  const extra = (allowed: string[]) => {
    const bad = Object.keys(v).filter((k) => !allowed.includes(k));
    if (bad.length) throw new UserError(`${where}: unknown field${bad.length > 1 ? 's' : ''} ${bad.map((b) => `'${b}'`).join(', ')} for type '${String(v.type)}'`);
  };
  const bounds = () => {
    const { low, high } = v;
    if (typeof low !== 'number' || typeof high !== 'number' || !Number.isFinite(low) || !Number.isFinite(high)) throw new UserError(`${where}: 'low' and 'high' must be numbers`);
    if (!(low < high)) throw new UserError(`${where}: 'low' (${low}) must be below 'high' (${high})`);
    return { low, high };
  };
  let dist: Distribution;
  switch (v.type) {
    case 'uniform': {
      extra(['type', 'low', 'high']);
      dist = { type: 'uniform', ...bounds() };
      break;
    }
    case 'loguniform': {
      extra(['type', 'low', 'high']);
      const b = bounds();
      if (b.low <= 0) throw new UserError(`${where}: loguniform needs 'low' > 0 (got ${b.low}); use uniform to include 0`);
      dist = { type: 'loguniform', ...b };
      break;
    }
    case 'int': {
      extra(['type', 'low', 'high', 'log']);
      const b = bounds();
      if (!Number.isInteger(b.low) || !Number.isInteger(b.high)) throw new UserError(`${where}: int needs whole-number 'low' and 'high'`);
      if (v.log !== undefined && typeof v.log !== 'boolean') throw new UserError(`${where}: 'log' must be true or false`);
      if (v.log && b.low < 1) throw new UserError(`${where}: int with log needs 'low' ≥ 1`);
      dist = { type: 'int', ...b, log: Boolean(v.log) };
      break;
    }
    case 'choice': {
      extra(['type', 'values']);
      const values = v.values;
      if (!Array.isArray(values) || values.length === 0) throw new UserError(`${where}: choice needs a non-empty 'values' list`);
      if (!values.every((x) => ['number', 'string', 'boolean'].includes(typeof x))) throw new UserError(`${where}: choice values must be numbers, strings or booleans`);
      if (new Set(values.map((x) => JSON.stringify(x))).size !== values.length) throw new UserError(`${where}: choice values repeat`);
      dist = { type: 'choice', values: values as ParamValue[] };
      break;
    }
    default:
      throw new UserError(`${where}: unknown type ${JSON.stringify(v.type)} (use uniform, loguniform, int or choice; or a plain value to fix it)`);
  }
  // Every value the distribution can produce must be a valid setting: try the ends and, for
  // continuous types, an interior non-integer (catches e.g. uniform on a whole-number setting).
  const probes: unknown[] = dist.type === 'choice' ? dist.values
    : dist.type === 'int' ? [dist.low, dist.high]
      : [dist.low, dist.high, dist.low + (dist.high - dist.low) * 0.371];
  for (const p of probes) checkValue(key, p, origin, dist.type === 'choice' ? 'choice' : 'range');
  return dist;
}

function checkValue(key: string, value: unknown, origin: string, what: string): void {
  try {
    parseTrainConfig({ [key]: value }, origin);
  } catch (err) {
    throw new UserError(`${(err as Error).message} (${what} value ${JSON.stringify(value)})`);
  }
}

/** Read and validate a space file. */
export function readSpaceFile(path: string): SearchSpace {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UserError(`${path}: cannot read search space file`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  return parseSpace(raw, path);
}

// ---- transforms used by the samplers ---------------------------------------------------------

/**
 * Numeric distributions as an interval of the real line the samplers work in: log space for
 * log scales, and ±0.5 around the ends for integers so each whole number gets an equal share.
 */
export function numericRange(d: Exclude<Distribution, { type: 'choice' }>): { lo: number; hi: number; toValue(x: number): number; fromValue(v: number): number } {
  if (d.type === 'uniform') return { lo: d.low, hi: d.high, toValue: (x) => x, fromValue: (v) => v };
  if (d.type === 'loguniform') return { lo: Math.log(d.low), hi: Math.log(d.high), toValue: (x) => clamp(Math.exp(x), d.low, d.high), fromValue: Math.log };
  const clampInt = (x: number) => clamp(Math.round(x), d.low, d.high);
  if (d.log) return { lo: Math.log(d.low - 0.5 > 0 ? d.low - 0.5 : d.low), hi: Math.log(d.high + 0.5), toValue: (x) => clampInt(Math.exp(x)), fromValue: Math.log };
  return { lo: d.low - 0.5, hi: d.high + 0.5, toValue: clampInt, fromValue: (v) => v };
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/** One draw from the distribution itself (the prior). */
export function samplePrior(d: Distribution, rng: Rng): ParamValue {
  if (d.type === 'choice') return d.values[rng.int(d.values.length)];
  const r = numericRange(d);
  return r.toValue(r.lo + (r.hi - r.lo) * rng.next());
}

/** A trial's config input: base settings ← fixed space values ← the trial's parameters. */
export function trialConfigInput(base: Record<string, unknown>, space: SearchSpace, params: Params): Record<string, unknown> {
  return { ...base, ...space.fixed, ...params };
}

/**
 * The searched settings of a configuration: the parameters of the trial that starts every study
 * (Optuna's enqueue_trial), so that the study's best is never worse than where it started.
 */
export function paramsOf(space: SearchSpace, config: Record<string, unknown>): Params {
  return Object.fromEntries(space.params.map((p) => [p.key, config[p.key] as ParamValue]));
}

/** Whether `key` is searched in the space. */
export function isSearched(space: SearchSpace, key: string): boolean {
  return space.params.some((p) => p.key === key);
}
