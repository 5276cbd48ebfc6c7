/**
 * Pure helpers over evaluation outputs (Rasa-style intent report, confusion matrix): the top
 * confused pairs.
 */

export type { IntentScores } from '../../../src/api/contracts/experiments.js';

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
