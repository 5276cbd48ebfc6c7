/**
 * Scores that say how "known" a text looks, for telling known intents from unknown (open) ones,
 * and the AUROC that compares them. Every score is oriented the same way: higher = more likely a
 * known intent, so one threshold rule (fall back below it) serves them all.
 *  - `msp`: the maximum softmax probability (the confidence the fallback threshold uses today);
 *  - `max_logit`: the largest logit (Hendrycks et al., 2022), blind to how the rest share out;
 *  - `energy`: T·logsumexp(logits / T), the negative free energy (Liu et al., NeurIPS 2020);
 *  - `knn_cosine`: mean cosine similarity to the k nearest training texts in feature space (Sun
 *    et al., ICML 2022): far from everything the model learnt = unknown.
 */
import type { Csr } from '../sparse.js';

export const OPEN_SET_SCORES = ['msp', 'max_logit', 'energy', 'knn_cosine'] as const;
export type OpenSetScore = (typeof OPEN_SET_SCORES)[number];

/**
 * Area under the ROC curve of `scores` separating `positive` rows (higher scores expected) from
 * the others: the probability that a random positive outscores a random negative, ties counting
 * half (the Mann-Whitney U statistic). Null when either class is empty.
 */
export function auroc(scores: ArrayLike<number>, positive: readonly boolean[]): number | null {
  const n = positive.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let pos = 0;
  let rankSum = 0;
  for (let start = 0; start < n;) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]!] === scores[order[start]!]) end++;
    // Tied scores share the mean of their ranks (1-based).
    const rank = (start + end) / 2 + 1;
    for (let i = start; i <= end; i++) {
      if (positive[order[i]!]) {
        pos++;
        rankSum += rank;
      }
    }
    start = end + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return null;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** The largest value of each row of a row-major matrix (max softmax probability, max logit). */
export function rowMax(matrix: ArrayLike<number>, classCount: number): Float64Array {
  const rows = matrix.length / classCount;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = -Infinity;
    for (let c = 0; c < classCount; c++) best = Math.max(best, matrix[r * classCount + c]!);
    out[r] = best;
  }
  return out;
}

/** T·logsumexp(logits / T) per row: the negative free energy, higher for known inputs. */
export function energyScores(logits: ArrayLike<number>, classCount: number, temperature = 1): Float64Array {
  const rows = logits.length / classCount;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < classCount; c++) max = Math.max(max, logits[r * classCount + c]! / temperature);
    let sum = 0;
    for (let c = 0; c < classCount; c++) sum += Math.exp(logits[r * classCount + c]! / temperature - max);
    out[r] = temperature * (max + Math.log(sum));
  }
  return out;
}

/**
 * Mean cosine similarity of each query row to its `k` most similar reference rows. Rows must be
 * L2-normalised (TF-IDF rows are), so a dot product is the cosine. The reference is indexed by
 * column once, so a query only visits reference rows that share a feature with it.
 */
export function knnCosineScores(query: Csr, reference: Csr, k = 10): Float64Array {
  const postings = columnIndex(reference);
  const sims = new Float32Array(reference.rows);
  const touched = new Int32Array(reference.rows);
  const seen = new Uint8Array(reference.rows);
  const out = new Float64Array(query.rows);
  const best = new Float64Array(Math.max(1, k));
  for (let q = 0; q < query.rows; q++) {
    let nTouched = 0;
    for (let p = query.indptr[q]!; p < query.indptr[q + 1]!; p++) {
      const col = query.indices[p]!;
      const v = query.values[p]!;
      for (let e = postings.start[col]!; e < postings.start[col + 1]!; e++) {
        const row = postings.rows[e]!;
        if (!seen[row]) {
          seen[row] = 1;
          touched[nTouched++] = row;
        }
        sims[row]! += v * postings.values[e]!;
      }
    }
    // Keep the k largest similarities (rows sharing no feature have similarity 0).
    best.fill(0);
    for (let t = 0; t < nTouched; t++) {
      const row = touched[t]!;
      const s = sims[row]!;
      if (s > best[k - 1]!) {
        let i = k - 1;
        while (i > 0 && best[i - 1]! < s) {
          best[i] = best[i - 1]!;
          i--;
        }
        best[i] = s;
      }
      sims[row] = 0;
      seen[row] = 0;
    }
    let sum = 0;
    for (let i = 0; i < k; i++) sum += best[i]!;
    out[q] = sum / Math.min(k, Math.max(1, reference.rows));
  }
  return out;
}

/** The reference matrix by column: for each column, the rows holding it and their values. */
function columnIndex(m: Csr): { start: Int32Array; rows: Int32Array; values: Float32Array } {
  const start = new Int32Array(m.cols + 1);
  for (let p = 0; p < m.indices.length; p++) start[m.indices[p]! + 1]!++;
  for (let c = 0; c < m.cols; c++) start[c + 1]! += start[c]!;
  const fill = start.slice(0, m.cols);
  const rows = new Int32Array(m.indices.length);
  const values = new Float32Array(m.indices.length);
  for (let r = 0; r < m.rows; r++) {
    for (let p = m.indptr[r]!; p < m.indptr[r + 1]!; p++) {
      const at = fill[m.indices[p]!]!++;
      rows[at] = r;
      values[at] = m.values[p]!;
    }
  }
  return { start, rows, values };
}

export interface ScoreChoice {
  score: OpenSetScore;
  /** Validation AUROC of every score that could be computed. */
  validationAuroc: Partial<Record<OpenSetScore, number | null>>;
  /** Why the choice was made, for logs and reports. */
  reason: string;
}

/**
 * Keeps `msp` unless another score separates known from unknown validation texts strictly better
 * (higher AUROC by more than `margin`): a new score must win on validation to replace the default.
 */
export function chooseOpenSetScore(
  validationAuroc: Partial<Record<OpenSetScore, number | null>>,
  margin = 0,
): ScoreChoice {
  const base = validationAuroc.msp ?? null;
  let score: OpenSetScore = 'msp';
  let bestValue = base;
  for (const name of OPEN_SET_SCORES) {
    const value = validationAuroc[name];
    if (name === 'msp' || value === undefined || value === null) continue;
    if (bestValue === null || value > bestValue + margin) {
      score = name;
      bestValue = value;
    }
  }
  const reason =
    base === null
      ? 'no unknown (or no known) texts in validation: msp kept'
      : score === 'msp'
        ? `msp kept: no other score beat its validation AUROC ${base.toFixed(4)}`
        : `${score} chosen: validation AUROC ${bestValue!.toFixed(4)} > msp ${base.toFixed(4)}`;
  return { score, validationAuroc, reason };
}

/**
 * Maps scores onto [0, 1] with the validation range (min → 0, max → 1, outside clamped): a
 * monotone map, so AUROC and the order of texts are unchanged, and the threshold search (made
 * for confidences in [0, 1]) works for unbounded scores such as logits.
 */
export function normaliseScores(scores: ArrayLike<number>, min: number, max: number): number[] {
  const span = max - min;
  return Array.from(scores, (s) => (span > 0 ? Math.min(1, Math.max(0, (s - min) / span)) : 1));
}
