/** Number formats shared by reports and command output. */

/** An accuracy (0–1) as a percentage with two decimals; '—' when there is none. */
export const pct = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : `${(v * 100).toFixed(2)}%`);

/** A difference of two accuracies in percentage points, signed. */
export const pp = (v: number) => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(2)} pp`;

/** `count(1, 'epoch')` → "1 epoch", `count(26, 'epoch')` → "26 epochs". */
export const count = (n: number, noun: string) => `${n.toLocaleString('en')} ${noun}${n === 1 ? '' : 's'}`;
