/**
 * Pure helpers over evaluation outputs (Rasa-style intent report, confusion matrix): the top
 * confused pairs and per-intent deltas between two runs.
 */

export interface IntentScores {
  precision: number;
  recall: number;
  'f1-score': number;
  support: number;
  confused_with?: Record<string, number>;
}

export interface ConfusedPair {
  actual: string;
  predicted: string;
  count: number;
}

/** Off-diagonal cells of matrix[true][predicted], largest first. */
export function topConfusedPairs(labels: string[], matrix: number[][], limit = 10): ConfusedPair[] {
  const pairs: ConfusedPair[] = [];
  matrix.forEach((row, i) =>
    row.forEach((count, j) => {
      if (i !== j && count > 0)
        pairs.push({ actual: labels[i] ?? String(i), predicted: labels[j] ?? String(j), count });
    }),
  );
  return pairs.sort((a, b) => b.count - a.count || a.actual.localeCompare(b.actual)).slice(0, limit);
}

export interface IntentDelta {
  intent: string;
  f1: Array<number | undefined>;
  /** Last run minus first run. */
  delta: number | undefined;
}

/** Per-intent F1 across runs (first run is the baseline), sorted by the largest drop first. */
export function intentF1Deltas(reports: Array<Record<string, IntentScores> | undefined>): IntentDelta[] {
  const intents = new Set<string>();
  for (const report of reports) for (const name of Object.keys(report ?? {})) intents.add(name);
  const rows = [...intents].map((intent) => {
    const f1 = reports.map((r) => r?.[intent]?.['f1-score']);
    const first = f1[0];
    const last = f1[f1.length - 1];
    return { intent, f1, delta: first !== undefined && last !== undefined ? last - first : undefined };
  });
  // Intents missing from a run (no delta) go last.
  const key = (d: number | undefined) => d ?? Number.POSITIVE_INFINITY;
  return rows.sort((a, b) => key(a.delta) - key(b.delta) || a.intent.localeCompare(b.intent));
}
