/** Classification metrics from predicted probabilities. */

export interface ClassMetrics {
  className: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Metrics {
  accuracy: number;
  /** Mean cross-entropy, nats. */
  loss: number;
  count: number;
  /** confusion[true][predicted] = count. */
  confusion: number[][];
  perClass: ClassMetrics[];
  macroF1: number;
}

export function argmaxRows(probs: Float32Array, classes: number): Int32Array {
  const n = probs.length / classes;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (probs[i * classes + k] > probs[i * classes + best]) best = k;
    out[i] = best;
  }
  return out;
}

export function computeMetrics(probs: Float32Array, truth: ArrayLike<number>, classNames: readonly string[]): Metrics {
  const classes = classNames.length;
  const pred = argmaxRows(probs, classes);
  const confusion = Array.from({ length: classes }, () => new Array(classes).fill(0));
  let loss = 0;
  for (let i = 0; i < truth.length; i++) {
    confusion[truth[i]][pred[i]]++;
    loss -= Math.log(Math.max(probs[i * classes + truth[i]], 1e-12));
  }
  const perClass = classNames.map((className, c) => {
    const tp = confusion[c][c];
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, row) => a + row[c], 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { className, precision, recall, f1, support };
  });
  const correct = confusion.reduce((a, row, c) => a + row[c], 0);
  return {
    accuracy: correct / truth.length,
    loss: loss / truth.length,
    count: truth.length,
    confusion,
    perClass,
    macroF1: perClass.reduce((a, m) => a + m.f1, 0) / classes,
  };
}

/** Indices (into the evaluated list) of wrong predictions, most confident first. */
export function confidentlyWrong(probs: Float32Array, truth: ArrayLike<number>, classes: number, k: number): { index: number; truth: number; predicted: number; confidence: number }[] {
  const pred = argmaxRows(probs, classes);
  const wrong: { index: number; truth: number; predicted: number; confidence: number }[] = [];
  for (let i = 0; i < truth.length; i++) {
    if (pred[i] !== truth[i]) wrong.push({ index: i, truth: truth[i], predicted: pred[i], confidence: probs[i * classes + pred[i]] });
  }
  return wrong.sort((a, b) => b.confidence - a.confidence).slice(0, k);
}
