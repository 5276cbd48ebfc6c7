/**
 * Turns test-set probabilities into the evaluation a run records: metrics, Rasa-style intent
 * report, confusion matrix, calibration, confidence histogram, errors with top-3 predictions and
 * out-of-scope figures. Pure: no I/O.
 */
import {
  argmaxRows,
  calibration,
  classificationReport,
  confidenceHistogram,
  confusionMatrix,
  outOfScopeMetrics,
  topK,
  type Calibration,
  type ClassificationReport,
  type ConfidenceHistogram,
  type OutOfScopeMetrics,
} from '../nlp/evaluation/index.js';

export interface EvaluatedExample {
  id?: number;
  text: string;
  label: string;
}

export interface Evaluation {
  metrics: {
    accuracy: number;
    macro_f1: number;
    weighted_f1: number;
    ece: number;
    fallback_rate: number;
    threshold: number;
    examples: number;
    out_of_scope?: OutOfScopeMetrics;
  };
  report: ClassificationReport;
  /** Labels of the matrix: the model's labels, then any test label the model never saw. */
  matrixLabels: string[];
  matrix: number[][];
  calibration: Calibration;
  histogram: ConfidenceHistogram;
  errors: Array<{
    id?: number;
    text: string;
    /** The true intent: named `label` as in examples and predictions.json. */
    label: string;
    predicted: string;
    confidence: number;
    top: Array<{ intent: string; confidence: number }>;
  }>;
  predictions: Array<{
    id?: number;
    text: string;
    label: string;
    predicted: string;
    confidence: number;
    correct: boolean;
  }>;
}

export function evaluate(
  modelLabels: readonly string[],
  examples: readonly EvaluatedExample[],
  proba: Float32Array,
  threshold: number,
  oosLabel = 'oos',
): Evaluation {
  const k = modelLabels.length;
  const labels = [...modelLabels];
  const index = new Map(labels.map((l, i) => [l, i]));
  for (const e of examples) {
    if (!index.has(e.label)) {
      index.set(e.label, labels.length);
      labels.push(e.label);
    }
  }
  const { pred, conf } = argmaxRows(proba, k);
  const yTrue = examples.map((e) => index.get(e.label)!);
  const report = classificationReport(labels, yTrue, pred);
  const correct = pred.map((p, i) => p === yTrue[i]);
  const cal = calibration(conf, correct);
  const fallback = conf.map((c) => c < threshold);
  const predictedLabels = pred.map((p) => labels[p]!);
  const oos = outOfScopeMetrics(
    examples.map((e) => e.label),
    predictedLabels,
    fallback,
    oosLabel,
  );
  const errors = [];
  for (let i = 0; i < examples.length; i++) {
    if (correct[i]) continue;
    errors.push({
      id: examples[i]!.id,
      text: examples[i]!.text,
      label: examples[i]!.label,
      predicted: predictedLabels[i]!,
      confidence: conf[i]!,
      top: topK(proba, k, i, 3).map((t) => ({ intent: modelLabels[t.index]!, confidence: t.p })),
    });
  }
  // Most confident mistakes first: those are the ones users notice.
  errors.sort((a, b) => b.confidence - a.confidence);
  return {
    metrics: {
      accuracy: report.accuracy,
      macro_f1: report.macro_f1,
      weighted_f1: report.weighted_f1,
      ece: cal.ece,
      fallback_rate: fallback.length ? fallback.filter(Boolean).length / fallback.length : 0,
      threshold,
      examples: examples.length,
      ...(oos ? { out_of_scope: oos } : {}),
    },
    report,
    matrixLabels: labels,
    matrix: confusionMatrix(labels.length, yTrue, pred),
    calibration: cal,
    histogram: confidenceHistogram(conf, correct),
    errors,
    predictions: examples.map((e, i) => ({
      id: e.id,
      text: e.text,
      label: e.label,
      predicted: predictedLabels[i]!,
      confidence: conf[i]!,
      correct: correct[i]!,
    })),
  };
}

/** Rasa's intent_report.json: one entry per intent plus accuracy and the averages. */
export function intentReportJson(report: ClassificationReport): Record<string, unknown> {
  return {
    ...report.intents,
    accuracy: report.accuracy,
    'macro avg': report['macro avg'],
    'weighted avg': report['weighted avg'],
  };
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A confusion-matrix heat map as standalone SVG (row-normalised colour, counts in cells). */
export function confusionMatrixSvg(labels: readonly string[], matrix: number[][]): string {
  const n = labels.length;
  const cell = n > 40 ? 10 : n > 20 ? 16 : 28;
  const margin = Math.min(260, 8 + 6 * Math.max(...labels.map((l) => l.length), 4));
  const size = margin + n * cell + 10;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" font-family="sans-serif" font-size="${Math.min(11, cell - 2)}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${margin}" y="12" font-size="12">predicted →   (rows: true intent)</text>`,
  ];
  for (let r = 0; r < n; r++) {
    const row = matrix[r]!;
    const total = row.reduce((s, v) => s + v, 0) || 1;
    const y = margin + r * cell;
    parts.push(`<text x="${margin - 4}" y="${y + cell * 0.7}" text-anchor="end">${escapeXml(labels[r]!)}</text>`);
    for (let c = 0; c < n; c++) {
      const v = row[c]!;
      const share = v / total;
      const x = margin + c * cell;
      const colour = r === c ? `rgba(33,113,181,${share.toFixed(3)})` : `rgba(203,24,29,${share.toFixed(3)})`;
      parts.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${colour}" stroke="#ddd"/>`);
      if (v > 0 && cell >= 16) {
        parts.push(`<text x="${x + cell / 2}" y="${y + cell * 0.7}" text-anchor="middle">${v}</text>`);
      }
    }
  }
  for (let c = 0; c < n; c++) {
    const x = margin + c * cell + cell * 0.7;
    parts.push(
      `<text transform="translate(${x},${margin - 4}) rotate(-60)" text-anchor="start">${escapeXml(labels[c]!)}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}
