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

/**
 * Temperature scaling of probability rows: p_i ∝ p_i^(1/T), i.e. softmax(log p / T). For a softmax
 * model this is exactly dividing its logits by T; for the ensemble's mixture it is the same map on
 * log-probabilities. The argmax never changes, only how confident the model says it is
 * (T > 1 softens over-confident models). Returns a new array; T = 1 returns the input.
 */
export function applyTemperature(proba: Float32Array, classCount: number, temperature: number): Float32Array {
  if (temperature === 1 || proba.length === 0) return proba;
  const out = new Float32Array(proba.length);
  const inv = 1 / temperature;
  const logits = new Float64Array(classCount);
  for (let r = 0; r < proba.length / classCount; r++) {
    const base = r * classCount;
    let max = -Infinity;
    for (let c = 0; c < classCount; c++) {
      logits[c] = Math.log(Math.max(proba[base + c]!, 1e-30)) * inv;
      if (logits[c]! > max) max = logits[c]!;
    }
    let sum = 0;
    for (let c = 0; c < classCount; c++) {
      logits[c] = Math.exp(logits[c]! - max);
      sum += logits[c]!;
    }
    for (let c = 0; c < classCount; c++) out[base + c] = logits[c]! / sum;
  }
  return out;
}

/** Mean negative log-likelihood of the true classes after temperature scaling (rows with y < 0 skipped). */
export function temperatureNll(
  proba: ArrayLike<number>,
  classCount: number,
  y: ArrayLike<number>,
  temperature: number,
): number {
  const inv = 1 / temperature;
  let total = 0;
  let rows = 0;
  for (let r = 0; r < y.length; r++) {
    const t = y[r]!;
    if (t < 0) continue;
    const base = r * classCount;
    let max = -Infinity;
    for (let c = 0; c < classCount; c++) max = Math.max(max, Math.log(Math.max(proba[base + c]!, 1e-30)) * inv);
    let sum = 0;
    for (let c = 0; c < classCount; c++) sum += Math.exp(Math.log(Math.max(proba[base + c]!, 1e-30)) * inv - max);
    total -= Math.log(Math.max(proba[base + t]!, 1e-30)) * inv - max - Math.log(sum);
    rows++;
  }
  return rows ? total / rows : 0;
}

/**
 * The temperature minimising validation log-loss (Guo et al., 2017), searched over 1/T in
 * [1/20, 20] by golden-section search (the log-loss is convex in 1/T). Returns 1 when there is no
 * labelled row to fit on. `proba` must be predictions of a model that never trained on the rows.
 */
export function fitTemperature(proba: ArrayLike<number>, classCount: number, y: ArrayLike<number>): number {
  let labelled = 0;
  for (let r = 0; r < y.length; r++) if (y[r]! >= 0) labelled++;
  if (labelled === 0) return 1;
  const loss = (logInv: number) => temperatureNll(proba, classCount, y, Math.exp(-logInv));
  let lo = Math.log(1 / 20);
  let hi = Math.log(20);
  const phi = (Math.sqrt(5) - 1) / 2;
  let a = hi - phi * (hi - lo);
  let b = lo + phi * (hi - lo);
  let fa = loss(a);
  let fb = loss(b);
  for (let i = 0; i < 60 && hi - lo > 1e-4; i++) {
    if (fa <= fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - phi * (hi - lo);
      fa = loss(a);
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + phi * (hi - lo);
      fb = loss(b);
    }
  }
  const temperature = Math.exp(-(lo + hi) / 2);
  // Keep T = 1 unless scaling really lowers the log-loss (a flat optimum gains nothing).
  return loss(0) - loss(-Math.log(temperature)) > 1e-6 ? Number(temperature.toFixed(4)) : 1;
}
