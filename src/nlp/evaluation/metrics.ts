import { dict } from '../../core/dict.js';
/**
 * Classification metrics on integer class ids (indices into `labels`). The report has the shape
 * of Rasa's intent_report.json so its users recognise it.
 */

export interface IntentScores {
  precision: number;
  recall: number;
  'f1-score': number;
  support: number;
  /** The labels this intent was most often mistaken for (predicted instead), top 3. */
  confused_with: Record<string, number>;
}

export interface AverageScores {
  precision: number;
  recall: number;
  'f1-score': number;
  support: number;
}

export interface ClassificationReport {
  accuracy: number;
  macro_f1: number;
  weighted_f1: number;
  'macro avg': AverageScores;
  'weighted avg': AverageScores;
  intents: Record<string, IntentScores>;
}

/** matrix[true][predicted] = count. */
export function confusionMatrix(classCount: number, yTrue: readonly number[], yPred: readonly number[]): number[][] {
  if (yTrue.length !== yPred.length) throw new RangeError('yTrue and yPred differ in length');
  const matrix = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  for (let i = 0; i < yTrue.length; i++) matrix[yTrue[i]!]![yPred[i]!]!++;
  return matrix;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

/** Share of rows where the prediction is the true label (a true label of -1 never matches); 0 when empty. */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) correct++;
  return ratio(correct, yTrue.length);
}

/**
 * Per-intent precision/recall/F1 and averages. Macro averages cover labels with support > 0 or
 * any prediction (a label absent from both says nothing about the model).
 */
export function classificationReport(
  labels: readonly string[],
  yTrue: readonly number[],
  yPred: readonly number[],
): ClassificationReport {
  const matrix = confusionMatrix(labels.length, yTrue, yPred);
  const intents = dict<IntentScores>();
  const macro = { precision: 0, recall: 0, f1: 0, n: 0 };
  const weighted = { precision: 0, recall: 0, f1: 0 };
  for (let c = 0; c < labels.length; c++) {
    const row = matrix[c]!;
    const tp = row[c]!;
    const support = row.reduce((s, v) => s + v, 0);
    let predicted = 0;
    for (let r = 0; r < labels.length; r++) predicted += matrix[r]![c]!;
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    const f1 = ratio(2 * precision * recall, precision + recall);
    const confused = row
      .map((count, p) => ({ label: labels[p]!, count, p }))
      .filter((x) => x.p !== c && x.count > 0)
      .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label))
      .slice(0, 3);
    intents[labels[c]!] = {
      precision,
      recall,
      'f1-score': f1,
      support,
      confused_with: dict(confused.map((x) => [x.label, x.count])),
    };
    if (support > 0 || predicted > 0) {
      macro.precision += precision;
      macro.recall += recall;
      macro.f1 += f1;
      macro.n++;
    }
    weighted.precision += precision * support;
    weighted.recall += recall * support;
    weighted.f1 += f1 * support;
  }
  const total = yTrue.length;
  const macroAvg = {
    precision: ratio(macro.precision, macro.n),
    recall: ratio(macro.recall, macro.n),
    'f1-score': ratio(macro.f1, macro.n),
    support: total,
  };
  const weightedAvg = {
    precision: ratio(weighted.precision, total),
    recall: ratio(weighted.recall, total),
    'f1-score': ratio(weighted.f1, total),
    support: total,
  };
  return {
    accuracy: accuracy(yTrue, yPred),
    macro_f1: macroAvg['f1-score'],
    weighted_f1: weightedAvg['f1-score'],
    'macro avg': macroAvg,
    'weighted avg': weightedAvg,
    intents,
  };
}

/** Index of the largest probability in each row of a row-major matrix. */
export function argmaxRows(proba: ArrayLike<number>, classCount: number): { pred: number[]; conf: number[] } {
  const rows = proba.length / classCount;
  const pred = new Array<number>(rows);
  const conf = new Array<number>(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let bestP = -Infinity;
    for (let c = 0; c < classCount; c++) {
      const p = proba[r * classCount + c]!;
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    pred[r] = best;
    conf[r] = bestP;
  }
  return { pred, conf };
}

/** The k most probable classes of row `r`, best first. */
export function topK(
  proba: ArrayLike<number>,
  classCount: number,
  r: number,
  k: number,
): Array<{ index: number; p: number }> {
  const row: Array<{ index: number; p: number }> = [];
  for (let c = 0; c < classCount; c++) row.push({ index: c, p: proba[r * classCount + c]! });
  row.sort((a, b) => b.p - a.p || a.index - b.index);
  return row.slice(0, Math.max(1, Math.min(k, classCount)));
}

export function meanStd(values: readonly number[]): { mean: number; std: number } {
  if (values.length === 0) return { mean: 0, std: 0 };
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  // Sample standard deviation (n - 1): folds are a sample of possible splits.
  const variance = values.length < 2 ? 0 : values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, std: Math.sqrt(variance) };
}
