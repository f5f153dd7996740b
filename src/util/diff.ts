/** Differences between settings objects, for one-line refusals and side-by-side comparisons. */

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The path of the first setting that differs ('lr', 'space.params'), '(settings)' when the values
 * differ at the top, or undefined when they are equal (key order does not matter).
 */
export function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  if (!isPlainObject(a) || !isPlainObject(b)) return path || '(settings)';
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = firstDifference(a[k], b[k], path ? `${path}.${k}` : k);
    if (d) return d;
  }
  // The same keys and values, only in another order.
  return undefined;
}

/** The keys (sorted) whose values are not the same in all the objects. */
export function differingKeys(objects: Record<string, unknown>[]): string[] {
  const keys = [...new Set(objects.flatMap((o) => Object.keys(o)))].sort();
  return keys.filter((k) => new Set(objects.map((o) => JSON.stringify(o[k]))).size > 1);
}
