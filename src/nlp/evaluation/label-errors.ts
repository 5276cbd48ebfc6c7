/**
 * Likely label errors from out-of-fold predicted probabilities, in the style of confident
 * learning (Northcutt et al., 2021): each class j gets a threshold t_j, the mean probability the
 * model gives class j on examples labelled j. An example labelled y is a likely error when
 *  - some other class j has p_j >= t_j (the model is confident it is j), and
 *  - its own label is improbable: p_y < t_y.
 * The suggested label is the most probable such j. Results are ranked by how improbable the given
 * label is relative to the suggestion (largest margin p_j - p_y first).
 */

export interface LabelIssue {
  index: number;
  given: string;
  suggested: string;
  given_probability: number;
  suggested_probability: number;
  margin: number;
}

export function perClassThresholds(proba: ArrayLike<number>, yTrue: readonly number[], classCount: number): number[] {
  const sum = new Array<number>(classCount).fill(0);
  const count = new Array<number>(classCount).fill(0);
  for (let i = 0; i < yTrue.length; i++) {
    const y = yTrue[i]!;
    sum[y]! += proba[i * classCount + y]!;
    count[y]!++;
  }
  // A class with no examples cannot be claimed confidently: threshold 1 (only p = 1 reaches it).
  return sum.map((s, j) => (count[j] ? s / count[j]! : 1));
}

export function findLabelIssues(
  proba: ArrayLike<number>,
  yTrue: readonly number[],
  labels: readonly string[],
  limit = Infinity,
): LabelIssue[] {
  const k = labels.length;
  const thresholds = perClassThresholds(proba, yTrue, k);
  const issues: LabelIssue[] = [];
  for (let i = 0; i < yTrue.length; i++) {
    const y = yTrue[i]!;
    const pGiven = proba[i * k + y]!;
    if (pGiven >= thresholds[y]!) continue;
    let best = -1;
    let bestP = -1;
    for (let j = 0; j < k; j++) {
      if (j === y) continue;
      const p = proba[i * k + j]!;
      if (p >= thresholds[j]! && p > bestP) {
        best = j;
        bestP = p;
      }
    }
    if (best < 0 || bestP <= pGiven) continue;
    issues.push({
      index: i,
      given: labels[y]!,
      suggested: labels[best]!,
      given_probability: pGiven,
      suggested_probability: bestP,
      margin: bestP - pGiven,
    });
  }
  issues.sort((a, b) => b.margin - a.margin || a.index - b.index);
  return issues.slice(0, limit);
}
