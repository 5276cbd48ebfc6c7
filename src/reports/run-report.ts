import type { LabContext } from '../lab/context.js';
import { AppError } from '../core/errors.js';
import { intentEntries, readRunArtifact } from '../experiments/artifacts.js';
import { getRun } from '../experiments/runs.js';
import {
  confidenceHistogramOption,
  confusionMatrixOption,
  reliabilityDiagramOption,
  runF1Option,
  type IntentScore,
} from './chart-options.js';
import { renderPng } from './charts.js';
import type { Row } from './csv.js';
import { PdfReport } from './pdf.js';
import { tradeoffCurveOption } from './tradeoff-chart.js';

/** The per-intent rows of a scikit-learn/Rasa style `intent_report.json`. */
export function intentScores(report: Record<string, unknown>): IntentScore[] {
  return intentEntries(report).map(([intent, s]) => {
    return {
      intent,
      precision: s.precision ?? 0,
      recall: s.recall ?? 0,
      f1: s['f1-score'] ?? 0,
      support: s.support ?? 0,
    };
  });
}

/**
 * A training run's PDF, read from the run folder the pipeline wrote (`runs.run_dir`):
 * metrics.json, intent_report.json, confusion_matrix.json, confidence_histogram.json and
 * calibration.json.
 */
export async function runReportPdf(lab: LabContext, runId: number): Promise<Buffer> {
  const run = await getRun(lab, runId);
  const dir = run.run_dir;
  const metrics = readRunArtifact(dir, 'metrics');
  if (!dir || !metrics) {
    throw new AppError('REPORT_NOT_READY', `run ${runId} has no evaluation yet (status ${run.status})`, 409, [
      { field: 'id', problem: `run is ${run.status}; its folder has no metrics.json` },
    ]);
  }
  const report = readRunArtifact(dir, 'intent_report') ?? {};
  const confusion = readRunArtifact(dir, 'confusion_matrix');
  const histogram = readRunArtifact(dir, 'confidence_histogram');
  const calibration = readRunArtifact(dir, 'calibration');
  const tradeoff = readRunArtifact(dir, 'threshold_curve');
  const dataset =
    run.dataset_id === null
      ? null
      : ((await lab.db.kysely.selectFrom('datasets').select('name').where('id', '=', run.dataset_id).executeTakeFirst())
          ?.name ?? null);

  const pdf = new PdfReport(`Run report: ${run.name}`);
  pdf.title(
    `Run report: ${run.name} (run ${run.id})`,
    `Generated ${new Date().toISOString()} by Chatbot Analytics Lab`,
  );
  const pct = (v: unknown) => (typeof v === 'number' ? `${(v * 100).toFixed(2)} %` : 'n/a');
  const num = (v: unknown, digits: number) => (typeof v === 'number' ? v.toFixed(digits) : 'n/a');
  pdf.summary([
    { label: 'Test accuracy', value: pct(metrics.accuracy) },
    { label: 'Macro F1', value: pct(metrics.macro_f1) },
    { label: 'Expected calibration error', value: num(metrics.ece, 4) },
    { label: 'Fallback threshold', value: num(metrics.threshold, 3) },
    { label: 'Dataset', value: dataset ?? 'n/a' },
    {
      label: 'Model version',
      value: run.model_version !== null ? `v${run.model_version} (${run.model_type})` : `none (${run.model_type})`,
    },
  ]);
  pdf.heading('Run');
  pdf.table(
    [
      { field: 'experiment', value: run.experiment },
      { field: 'dataset', value: dataset },
      { field: 'model type', value: run.model_type },
      { field: 'status', value: run.status },
      { field: 'started', value: run.started_at },
      { field: 'ended', value: run.ended_at },
      { field: 'duration (s)', value: run.duration_ms === null ? null : Number(run.duration_ms) / 1000 },
      { field: 'git commit', value: run.git_commit },
      { field: 'run folder', value: dir },
    ],
    ['field', 'value'],
  );

  pdf.heading('Metrics');
  const metricRows: Row[] = Object.entries(metrics)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
    .map(([metric, value]) => ({ metric, value: value as number | string }));
  pdf.table(metricRows, ['metric', 'value']);
  for (const avg of ['macro avg', 'weighted avg']) {
    const a = report[avg] as Record<string, number> | undefined;
    if (a)
      pdf.paragraph(
        `${avg}: precision ${fmt(a.precision)}, recall ${fmt(a.recall)}, F1 ${fmt(a['f1-score'])}, support ${a.support ?? ''}`,
      );
  }

  const scores = intentScores(report);
  if (scores.length > 0) {
    pdf.heading('Per-intent scores');
    pdf.image(renderPng(runF1Option(scores), 800, 600), 600 / 800);
  }
  if (confusion && confusion.labels.length > 0) {
    pdf.heading('Confusion matrix');
    pdf.image(renderPng(confusionMatrixOption(confusion.labels, confusion.matrix), 800, 800), 1);
  }
  if (histogram && histogram.correct.length > 0) {
    pdf.heading('Confidence');
    pdf.image(renderPng(confidenceHistogramOption(histogram)));
  }
  if (calibration && calibration.bins.some((b) => b.count > 0)) {
    pdf.heading('Calibration');
    if (calibration.before) {
      pdf.paragraph(
        `Test ECE ${fmt(calibration.before.ece)} before and ${fmt(calibration.ece)} after temperature scaling (T = ${calibration.temperature ?? 1}, fitted on clean validation predictions and applied by the saved model).`,
      );
    }
    pdf.image(renderPng(reliabilityDiagramOption(calibration)));
  }
  if (tradeoff && tradeoff.points.length > 0) {
    pdf.heading('Fallback threshold trade-off');
    pdf.paragraph(
      `Each point is a threshold on the ${tradeoff.source}; the marked one is the fallback threshold the run chose (objective ${tradeoff.objective}).`,
    );
    pdf.image(renderPng(tradeoffCurveOption(tradeoff)));
  }
  if (scores.length > 0) {
    pdf.heading('Per-intent table');
    pdf.table(
      [...scores]
        .sort((a, b) => a.f1 - b.f1 || a.intent.localeCompare(b.intent))
        .map((s) => ({ intent: s.intent, precision: s.precision, recall: s.recall, f1: s.f1, support: s.support })),
    );
  }
  return pdf.end();
}

const fmt = (v: number | undefined) => (v === undefined ? 'n/a' : v.toFixed(4));
