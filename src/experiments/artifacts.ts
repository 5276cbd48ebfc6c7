/**
 * The run artifact store: the one place that knows the files of a run folder (`runs.run_dir`),
 * their names, kinds and shapes. The training pipeline, the search and cross-validation write
 * through it; compare, the PDF run report and the evaluation route read through it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LabContext } from '../lab/context.js';
import type { MisclassifiedExample, RunEvaluation } from '../api/contracts/experiments.js';
import type { LabelIssue } from '../nlp/evaluation/index.js';
import type { TradeoffCurve } from '../reports/tradeoff-chart.js';
import { getRun } from './runs.js';

export interface ReliabilityBin {
  confidence: number;
  accuracy: number;
  count: number;
}

/** What each artifact holds, by kind. */
export interface RunArtifacts {
  config: Record<string, unknown>;
  metrics: Record<string, unknown>;
  /** Rasa/scikit-learn shape: one entry per intent plus `accuracy` and the averages. */
  intent_report: Record<string, unknown>;
  confusion_matrix: { labels: string[]; matrix: number[][] };
  confusion_matrix_plot: string;
  /** Misclassified test examples, most confident first (one JSON object a line). */
  errors: MisclassifiedExample[];
  confidence_histogram: { edges: number[]; correct: number[]; incorrect: number[] };
  /** Reliability after temperature scaling, and before it. */
  calibration: {
    ece: number;
    temperature?: number;
    bins: ReliabilityBin[];
    before?: { ece?: number; bins: ReliabilityBin[] };
  };
  /** In-scope accuracy vs out-of-scope recall (or fallback rate) across thresholds, with the chosen one. */
  threshold_curve: TradeoffCurve;
  /** Every scored test example, so two runs can be compared example by example. */
  predictions: {
    labels: string[];
    threshold: number;
    examples: Array<{ id?: number; text: string; label: string; correct: boolean } & Record<string, unknown>>;
  };
  log: string;
  /** Cross-validation: k-fold means and spreads, and each fold's scores. */
  crossval: {
    folds: number;
    accuracy_mean: number;
    accuracy_std: number;
    macro_f1_mean: number;
    macro_f1_std: number;
    per_fold: object[];
  } & Record<string, unknown>;
  /** Likely label errors found by cross-validation, most likely first (one JSON object a line). */
  label_issues: Array<LabelIssue & { example_id: number; text: string }>;
  /** A search's trials ranked by its metric, the best parameters and the failed trials. */
  leaderboard: {
    metric: string;
    best_score: number;
    best_params: Record<string, unknown>;
    best_run_id: number;
    trials: number;
    leaderboard: object[];
    failed_trials: object[];
  };
}

export type ArtifactKind = keyof RunArtifacts;

const FILE_BY_KIND: { [K in ArtifactKind]: string } = {
  config: 'config.json',
  metrics: 'metrics.json',
  intent_report: 'intent_report.json',
  confusion_matrix: 'confusion_matrix.json',
  confusion_matrix_plot: 'confusion_matrix.svg',
  errors: 'errors.jsonl',
  confidence_histogram: 'confidence_histogram.json',
  calibration: 'calibration.json',
  threshold_curve: 'threshold_curve.json',
  predictions: 'predictions.json',
  log: 'training.log',
  crossval: 'crossval.json',
  label_issues: 'label_issues.jsonl',
  leaderboard: 'leaderboard.json',
};

/** Kinds stored as JSON lines, one object a line. */
const LINES_KINDS = new Set<ArtifactKind>(['errors', 'label_issues']);

const KIND_BY_FILE = new Map(Object.entries(FILE_BY_KIND).map(([kind, file]) => [file, kind]));

/** The file name of an artifact inside the run folder. */
export function artifactFile(kind: ArtifactKind): string {
  return FILE_BY_KIND[kind];
}

/** The kind recorded in the `artifacts` table for a file of the run folder (relative path). */
export function kindOfFile(relativePath: string): string {
  return KIND_BY_FILE.get(relativePath) ?? (relativePath.startsWith('model') ? 'model' : 'other');
}

/** Writes one artifact: JSON (pretty), JSON lines for `errors` and `label_issues`, text as is. */
export function writeRunArtifact<K extends ArtifactKind>(runDir: string, kind: K, data: RunArtifacts[K]): void {
  const file = path.join(runDir, FILE_BY_KIND[kind]);
  let text: string;
  if (typeof data === 'string') text = data;
  else if (LINES_KINDS.has(kind)) {
    const lines = (data as unknown[]).map((e) => JSON.stringify(e));
    text = lines.join('\n') + (lines.length ? '\n' : '');
  } else text = JSON.stringify(data, null, 2);
  writeFileSync(file, text);
}

/** Reads one artifact; null when the run has no folder or the file was never written. */
export function readRunArtifact<K extends ArtifactKind>(runDir: string | null, kind: K): RunArtifacts[K] | null {
  if (!runDir) return null;
  const file = path.join(runDir, FILE_BY_KIND[kind]);
  if (!existsSync(file)) return null;
  const text = readFileSync(file, 'utf8');
  if (LINES_KINDS.has(kind)) {
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>) as RunArtifacts[K];
  }
  if (kind === 'confusion_matrix_plot' || kind === 'log') return text as RunArtifacts[K];
  return JSON.parse(text) as RunArtifacts[K];
}

/** The row of the `artifacts` table for a file of the run folder: its kind, size and checksum. */
export interface ArtifactRecord {
  path: string;
  kind: string;
  size_bytes: number;
  sha256: string;
}

/** The `artifacts` row of one file of the run folder (relative path). */
export function artifactRecord(runDir: string, relativePath: string): ArtifactRecord {
  const data = readFileSync(path.join(runDir, relativePath));
  return {
    path: relativePath,
    kind: kindOfFile(relativePath),
    size_bytes: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
  };
}

/** Writes artifacts and returns their `artifacts` rows, for the commit of a run. */
export function writeRunArtifacts(runDir: string, artifacts: Partial<RunArtifacts>): ArtifactRecord[] {
  return (Object.entries(artifacts) as Array<[ArtifactKind, RunArtifacts[ArtifactKind]]>).map(([kind, data]) => {
    writeRunArtifact(runDir, kind, data);
    return artifactRecord(runDir, FILE_BY_KIND[kind]);
  });
}

/** The `artifacts` rows of every file below a run folder. */
export function recordRunFiles(runDir: string): ArtifactRecord[] {
  return listRunFiles(runDir).map((rel) => artifactRecord(runDir, rel));
}

/** Every file below a run folder, as paths relative to it. */
export function listRunFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? listRunFiles(path.join(dir, d.name), base) : [path.relative(base, path.join(dir, d.name))],
  );
}

const AVERAGES = new Set(['accuracy', 'macro avg', 'weighted avg', 'micro avg']);

/** The per-intent entries of an intent report, without `accuracy` and the averages. */
export function intentEntries(report: Record<string, unknown>): Array<[string, Record<string, number>]> {
  return Object.entries(report).filter(
    (entry): entry is [string, Record<string, number>] =>
      !AVERAGES.has(entry[0]) && typeof entry[1] === 'object' && entry[1] !== null,
  );
}

/** Misclassified examples sent to the browser: errors.jsonl is sorted most confident first. */
export const MAX_EVALUATION_ERRORS = 500;

/**
 * A run's evaluation for the run detail page: per-intent report, confusion matrix, calibration,
 * confidence histogram and misclassified test examples. Any artifact can be missing (failed or
 * cancelled run): that part is absent.
 */
export async function runEvaluation(lab: LabContext, runId: number): Promise<RunEvaluation> {
  const run = await getRun(lab, runId);
  const dir = run.run_dir && existsSync(run.run_dir) ? run.run_dir : null;
  if (!dir) return { run_id: runId };
  const report = readRunArtifact(dir, 'intent_report');
  const errors = readRunArtifact(dir, 'errors');
  const present = <T>(value: T | null): T | undefined => value ?? undefined;
  return {
    run_id: runId,
    intents: report ? (Object.fromEntries(intentEntries(report)) as unknown as RunEvaluation['intents']) : undefined,
    confusion: present(readRunArtifact(dir, 'confusion_matrix')),
    calibration: present(readRunArtifact(dir, 'calibration')),
    threshold_curve: present(readRunArtifact(dir, 'threshold_curve')),
    confidence_histogram: present(readRunArtifact(dir, 'confidence_histogram')),
    errors: errors?.slice(0, MAX_EVALUATION_ERRORS),
    errors_total: errors?.length,
  };
}
