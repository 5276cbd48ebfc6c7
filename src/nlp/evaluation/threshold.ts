/**
 * Choosing the fallback (out-of-scope) confidence threshold on validation data. Below the
 * threshold the bot answers "sorry, I did not understand" instead of acting on the prediction.
 *
 * Objective, per validation example, for a threshold t:
 *  - accepted (confidence >= t) and the prediction is right: +1;
 *  - rejected and the prediction would have been wrong, or the text is out of scope: +1
 *    (a fallback is better than a wrong action);
 *  - otherwise 0.
 * The threshold maximising the sum wins; ties go to the lowest threshold (fewest fallbacks).
 * When the data has no out-of-scope examples this lands near the confidence where a prediction
 * is as likely right as wrong, i.e. it only drops predictions that are probably wrong.
 */

export interface ThresholdChoice {
  threshold: number;
  /** Objective / examples at the chosen threshold. */
  score: number;
  /** Fraction of validation examples that would fall back. */
  fallbackRate: number;
  /** Accuracy of the accepted predictions. */
  acceptedAccuracy: number;
}

export interface ThresholdOptions {
  /** Never choose a threshold above this (keeps the bot from falling back on most inputs). */
  maxThreshold?: number;
}

export function selectThreshold(
  confidences: readonly number[],
  correct: readonly boolean[],
  outOfScope: readonly boolean[] = [],
  options: ThresholdOptions = {},
): ThresholdChoice {
  const n = confidences.length;
  const maxThreshold = options.maxThreshold ?? 0.95;
  if (n === 0) return { threshold: 0, score: 0, fallbackRate: 0, acceptedAccuracy: 0 };
  // Sweep candidate thresholds in ascending confidence order. Start with t = 0 (accept all).
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => confidences[a]! - confidences[b]!);
  const acceptGain = (i: number) => (correct[i] && !outOfScope[i] ? 1 : 0);
  const rejectGain = (i: number) => (!correct[i] || outOfScope[i] ? 1 : 0);
  let score = 0;
  for (let i = 0; i < n; i++) score += acceptGain(i);
  let best = { threshold: 0, score, rejected: 0 };
  let rejected = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    score += rejectGain(i) - acceptGain(i);
    rejected++;
    // Only a threshold strictly above every rejected confidence rejects them all; we use the next
    // confidence up (ties stay together).
    const nextConf = k + 1 < n ? confidences[order[k + 1]!]! : 1;
    if (k + 1 < n && nextConf === confidences[i]) continue;
    const threshold = k + 1 < n ? (confidences[i]! + nextConf) / 2 : Math.min(1, confidences[i]! + 1e-6);
    if (threshold > maxThreshold) break;
    if (score > best.score) best = { threshold, score, rejected };
  }
  let acceptedRight = 0;
  let accepted = 0;
  for (let i = 0; i < n; i++) {
    if (confidences[i]! >= best.threshold) {
      accepted++;
      if (correct[i] && !outOfScope[i]) acceptedRight++;
    }
  }
  return {
    threshold: best.threshold,
    score: best.score / n,
    fallbackRate: best.rejected / n,
    acceptedAccuracy: accepted ? acceptedRight / accepted : 0,
  };
}
