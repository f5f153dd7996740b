/**
 * The numbers behind the app's interactive charts (no DOM, so Node tests run them): which series
 * a metric draws, TensorBoard's smoothing, axis scales and their ticks.
 */
import type { EpochMetrics } from '../../train/types.ts';

/** One epoch as the store keeps it (the fields a chart reads are all of them). */
export type EpochPoint = EpochMetrics;
export interface ChartRun {
  id: number | null;
  label: string;
  colour: string;
  epochs: EpochPoint[];
}
/** One line: `run` is its run's key (the legend's unit), `key` the line's own. */
export interface Series {
  key: string;
  run: string;
  label: string;
  colour: string;
  dashed: boolean;
  points: [number, number][];
}

/** What the metric menu offers: per split where a validation figure exists, else one line per run. */
export const METRICS = {
  loss: { label: 'loss', train: (e: EpochPoint) => e.loss, validation: (e: EpochPoint) => e.valLoss },
  accuracy: { label: 'accuracy', train: (e: EpochPoint) => e.acc, validation: (e: EpochPoint) => e.valAcc },
  lr: { label: 'learning rate', train: (e: EpochPoint) => e.lr },
  imagesPerSecond: { label: 'images per second (training)', train: (e: EpochPoint) => e.imagesPerSecond },
  seconds: { label: 'seconds per epoch', train: (e: EpochPoint) => e.seconds },
} as const;
export type MetricName = keyof typeof METRICS;

/** The lines of `metric` for these runs: validation solid, training dashed (one run: the label says which). */
export function seriesOf(runs: ChartRun[], metric: MetricName): Series[] {
  const m = METRICS[metric];
  const split = 'validation' in m;
  return runs.flatMap((r) => {
    const line = (name: string, get: (e: EpochPoint) => number | undefined, dashed: boolean): Series[] => {
      const points = r.epochs
        .map((e) => [e.epoch, get(e)] as [number, number | undefined])
        .filter((p): p is [number, number] => Number.isFinite(p[1]));
      return points.length
        ? [
            {
              key: `${r.id}/${name}`,
              run: String(r.id),
              label: split ? `${r.label} ${name}` : r.label,
              colour: r.colour,
              dashed,
              points,
            },
          ]
        : [];
    };
    return [...line('train', m.train, split), ...(split ? line('validation', m.validation, false) : [])];
  });
}

/**
 * TensorBoard's smoothing: an exponential moving average debiased for its start, so the first
 * point is the first value rather than pulled towards 0. `weight` 0 leaves the line as it is.
 */
export function smooth(points: [number, number][], weight: number): [number, number][] {
  let last = 0;
  let debias = 0;
  return points.map(([x, y]) => {
    last = last * weight + (1 - weight) * y;
    debias = debias * weight + (1 - weight);
    return [x, weight === 0 ? y : last / debias];
  });
}

/** Ticks at 1, 2 or 5 times a power of ten, about `count` of them across [lo, hi]. */
export function linearTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * p).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Ticks at powers of ten across [lo, hi] (lo > 0), with 2 and 5 between them when fewer than three decades fit. */
export function logTicks(lo: number, hi: number): number[] {
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const mult = b - a < 3 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let k = a; k <= b; k++) for (const m of mult) ticks.push(Number((m * 10 ** k).toPrecision(12)));
  const inside = ticks.filter((t) => t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9));
  return inside.length >= 2 ? inside : linearTicks(lo, hi);
}

/** [lo, hi] (lo > 0) widened to 1, 2 or 5 times powers of ten, so a log axis always has ticks at both ends. */
export function logNice(lo: number, hi: number): [number, number] {
  const steps = (v: number) => {
    const p = 10 ** Math.floor(Math.log10(v));
    return [1, 2, 5, 10].map((k) => Number((k * p).toPrecision(12)));
  };
  return [
    steps(lo)
      .filter((t) => t <= lo * (1 + 1e-9))
      .pop()!,
    steps(hi).find((t) => t >= hi * (1 - 1e-9))!,
  ];
}

/** A number for an axis or tooltip: 4 significant digits, no trailing zeros. */
export const fmt = (v: number): string =>
  Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : String(Number(v.toPrecision(4)));

/** Map [d0, d1] to [r0, r1], linearly or on log10. */
export function scale(d0: number, d1: number, r0: number, r1: number, log = false): (v: number) => number {
  const f = log ? Math.log10 : (v: number) => v;
  const [a, b] = [f(d0), f(d1)];
  return (v) => (b === a ? (r0 + r1) / 2 : r0 + ((f(v) - a) / (b - a)) * (r1 - r0));
}
