/**
 * How far confidences can be trusted: expected calibration error with reliability bins, and a
 * confidence histogram split by correct/incorrect (the picture Rasa draws).
 */

export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  /** Mean confidence of predictions in the bin (0 when empty). */
  confidence: number;
  /** Fraction of those predictions that were right (0 when empty). */
  accuracy: number;
}

export interface Calibration {
  ece: number;
  /** Largest |accuracy - confidence| over non-empty bins. */
  mce: number;
  bins: ReliabilityBin[];
}

/** Equal-width bins over [0, 1]; a confidence of exactly 1 falls in the last bin. */
function binOf(confidence: number, binCount: number): number {
  return Math.min(binCount - 1, Math.max(0, Math.floor(confidence * binCount)));
}

export function calibration(confidences: readonly number[], correct: readonly boolean[], binCount = 10): Calibration {
  const sums = Array.from({ length: binCount }, () => ({ count: 0, conf: 0, right: 0 }));
  for (let i = 0; i < confidences.length; i++) {
    const bin = sums[binOf(confidences[i]!, binCount)]!;
    bin.count++;
    bin.conf += confidences[i]!;
    if (correct[i]) bin.right++;
  }
  const n = confidences.length;
  let ece = 0;
  let mce = 0;
  const bins = sums.map((s, b) => {
    const confidence = s.count ? s.conf / s.count : 0;
    const acc = s.count ? s.right / s.count : 0;
    if (s.count) {
      const gap = Math.abs(acc - confidence);
      ece += (s.count / n) * gap;
      mce = Math.max(mce, gap);
    }
    return { lower: b / binCount, upper: (b + 1) / binCount, count: s.count, confidence, accuracy: acc };
  });
  return { ece, mce, bins };
}

export interface ConfidenceHistogram {
  edges: number[];
  correct: number[];
  incorrect: number[];
}

export function confidenceHistogram(
  confidences: readonly number[],
  correct: readonly boolean[],
  binCount = 20,
): ConfidenceHistogram {
  const edges = Array.from({ length: binCount + 1 }, (_, i) => i / binCount);
  const right = new Array<number>(binCount).fill(0);
  const wrong = new Array<number>(binCount).fill(0);
  for (let i = 0; i < confidences.length; i++) {
    const b = binOf(confidences[i]!, binCount);
    if (correct[i]) right[b]!++;
    else wrong[b]!++;
  }
  return { edges, correct: right, incorrect: wrong };
}
