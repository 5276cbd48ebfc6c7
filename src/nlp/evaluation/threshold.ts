/**
 * Choosing the fallback (out-of-scope) confidence threshold on validation data. Below the
 * threshold the bot answers "sorry, I did not understand" instead of acting on the prediction.
 * An in-scope text is handled right when it is accepted (confidence >= t) with the right intent;
 * an out-of-scope text when it falls back (or is accepted as the `oos` class itself, which counts
 * as `correct`). The objective says which trade-off to make:
 *  - `accuracy` (default): the most texts handled right, in-scope and out-of-scope together;
 *  - `balanced`: the mean of in-scope accuracy and out-of-scope recall (each side weighs half,
 *    however few out-of-scope texts there are);
 *  - `recall@<target>`: the best in-scope accuracy among thresholds that catch at least `target`
 *    of the out-of-scope texts (the highest recall reachable when none does).
 * Without out-of-scope texts in validation no threshold above 0 can raise in-scope accuracy, yet a
 * bot should still say "sorry" rather than act on a guess: there every objective counts a text as
 * handled right when it is accepted with the right intent or falls back on a wrong one (the rule
 * Rasa's fallback classifier is tuned by). Ties go to the lowest threshold.
 */

export type OosObjective = { kind: 'accuracy' } | { kind: 'balanced' } | { kind: 'recall'; target: number };

/** `accuracy`, `balanced` or `recall@0.6`; null when the text is none of them. */
export function parseOosObjective(text: string): OosObjective | null {
  if (text === 'accuracy' || text === 'balanced') return { kind: text };
  const m = /^recall@(0(?:\.\d+)?|1(?:\.0+)?)$/.exec(text);
  return m ? { kind: 'recall', target: Number(m[1]) } : null;
}

export function formatOosObjective(o: OosObjective): string {
  return o.kind === 'recall' ? `recall@${o.target}` : o.kind;
}

export interface ThresholdChoice {
  threshold: number;
  /** The objective's value at the chosen threshold. */
  score: number;
  /** Fraction of validation examples that would fall back. */
  fallbackRate: number;
  /** Accuracy of the accepted predictions. */
  acceptedAccuracy: number;
  /** In-scope texts accepted with the right intent, over all in-scope texts. */
  inScopeAccuracy: number;
  /** Out-of-scope texts caught, over all out-of-scope texts (null without any). */
  oosRecall: number | null;
  objective: string;
}

/** One point of the in-scope accuracy / out-of-scope recall trade-off. */
export interface ThresholdPoint {
  threshold: number;
  inScopeAccuracy: number;
  oosRecall: number | null;
  fallbackRate: number;
}

export interface ThresholdOptions {
  /** Never choose a threshold above this (keeps the bot from falling back on most inputs). */
  maxThreshold?: number;
  objective?: OosObjective;
}

/** Every candidate threshold (between consecutive distinct confidences), from 0 up to maxThreshold. */
export function thresholdCurve(
  confidences: readonly number[],
  correct: readonly boolean[],
  outOfScope: readonly boolean[] = [],
  maxThreshold = 0.95,
): ThresholdPoint[] {
  const n = confidences.length;
  let nOos = 0;
  for (let i = 0; i < n; i++) if (outOfScope[i]) nOos++;
  const nIn = n - nOos;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => confidences[a]! - confidences[b]!);
  // Threshold 0 accepts everything: in-scope right when correct; oos caught only as the oos class.
  let inRight = 0;
  let oosCaught = 0;
  for (let i = 0; i < n; i++) {
    if (outOfScope[i]) oosCaught += correct[i] ? 1 : 0;
    else inRight += correct[i] ? 1 : 0;
  }
  const point = (threshold: number, rejected: number): ThresholdPoint => ({
    threshold,
    inScopeAccuracy: nIn ? inRight / nIn : 0,
    oosRecall: nOos ? oosCaught / nOos : null,
    fallbackRate: n ? rejected / n : 0,
  });
  const points = [point(0, 0)];
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    // Rejecting i: an in-scope text is no longer handled right; an oos text is now caught.
    if (outOfScope[i]) oosCaught += correct[i] ? 0 : 1;
    else inRight -= correct[i] ? 1 : 0;
    // Only a threshold strictly above every rejected confidence rejects them all; ties stay together.
    const nextConf = k + 1 < n ? confidences[order[k + 1]!]! : 1;
    if (k + 1 < n && nextConf === confidences[i]) continue;
    const threshold = k + 1 < n ? (confidences[i]! + nextConf) / 2 : Math.min(1, confidences[i]! + 1e-6);
    if (threshold > maxThreshold) break;
    points.push(point(threshold, k + 1));
  }
  return points;
}

export function selectThreshold(
  confidences: readonly number[],
  correct: readonly boolean[],
  outOfScope: readonly boolean[] = [],
  options: ThresholdOptions = {},
): ThresholdChoice {
  const n = confidences.length;
  const objective = options.objective ?? { kind: 'accuracy' };
  const name = formatOosObjective(objective);
  if (n === 0) {
    return {
      threshold: 0,
      score: 0,
      fallbackRate: 0,
      acceptedAccuracy: 0,
      inScopeAccuracy: 0,
      oosRecall: null,
      objective: name,
    };
  }
  let nOos = 0;
  for (let i = 0; i < n; i++) if (outOfScope[i]) nOos++;
  const nIn = n - nOos;
  const curve = thresholdCurve(confidences, correct, outOfScope, options.maxThreshold ?? 0.95);
  const inRightAtZero = curve[0]!.inScopeAccuracy * nIn;
  const value = (p: ThresholdPoint): number => {
    const recall = p.oosRecall ?? 0;
    if (nOos === 0) {
      // Right answers kept, plus wrong answers turned into a fallback.
      const inRight = p.inScopeAccuracy * nIn;
      const rejectedWrong = p.fallbackRate * n - (inRightAtZero - inRight);
      return (inRight + rejectedWrong) / n;
    }
    if (objective.kind === 'accuracy') return (p.inScopeAccuracy * nIn + recall * nOos) / n;
    if (objective.kind === 'balanced') return (p.inScopeAccuracy + recall) / 2;
    return p.inScopeAccuracy;
  };
  let candidates = curve;
  if (objective.kind === 'recall' && nOos > 0) {
    const reaching = curve.filter((p) => p.oosRecall! >= objective.target - 1e-12);
    if (reaching.length > 0) candidates = reaching;
    else {
      const best = Math.max(...curve.map((p) => p.oosRecall!));
      candidates = curve.filter((p) => p.oosRecall === best);
    }
  }
  let best = candidates[0]!;
  for (const p of candidates) if (value(p) > value(best) + 1e-12) best = p;
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
    score: value(best),
    fallbackRate: best.fallbackRate,
    acceptedAccuracy: accepted ? acceptedRight / accepted : 0,
    inScopeAccuracy: best.inScopeAccuracy,
    oosRecall: best.oosRecall,
    objective: name,
  };
}
