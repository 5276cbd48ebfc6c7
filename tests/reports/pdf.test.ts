import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { labelTurns } from '../../src/analytics/label.js';
import { ingestCraftedLog, stubPredictor } from '../analytics/fixtures.js';
import { createTestApi, type TestApi } from '../support/api.js';
import { describeEachDialect } from '../support/databases.js';

/** Renders every page with pdftoppm (poppler-utils) and returns pdftotext's text. */
function checkPdf(pdf: Buffer, dir: string, name: string): string {
  expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  const file = path.join(dir, `${name}.pdf`);
  writeFileSync(file, pdf);
  const pages = path.join(dir, `${name}-pages`);
  mkdirSync(pages);
  execFileSync('pdftoppm', ['-r', '30', '-png', file, path.join(pages, 'p')]);
  const rendered = readdirSync(pages);
  expect(rendered.length).toBeGreaterThan(0);
  for (const p of rendered) expect(statSync(path.join(pages, p)).size).toBeGreaterThan(1000);
  // -raw keeps the content order; whitespace is normalised for matching.
  return execFileSync('pdftotext', ['-raw', file, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
}

describeEachDialect('PDF reports', (dialect) => {
  let api: TestApi;
  let dataset: number;
  beforeAll(async () => {
    api = await createTestApi(dialect);
    dataset = await ingestCraftedLog(api.lab, api.lab.dir);
    await labelTurns(api.lab, { datasetId: dataset }, { predictor: stubPredictor });
  });
  afterAll(async () => api.close());

  it('dataset report: renders, and its text has the headings, filters and figures', async () => {
    const res = await api.app.inject({ method: 'GET', url: `/reports/datasets/${dataset}.pdf?granularity=month` });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    const text = checkPdf(res.rawPayload, api.lab.dir, 'dataset');
    for (const heading of [
      'Dataset report: crafted (v1)',
      'Filters',
      'Summary',
      'Intent distribution',
      'Conversation flows',
      'Fallback and confidence',
      'Sessions',
      'Sentiment',
      'Per-intent table',
    ]) {
      expect(text).toContain(heading);
    }
    expect(text).toContain('granularity month');
    expect(text).toContain('conversations 5');
    expect(text).toContain('user_turns 10');
    expect(text).toContain('5 of 10 user turns are fallback (share 0.5)');
    expect(text).toContain('thanks > transfer > goodbye 1');
    // Chart text comes as images; the chart titles are not in the text layer, the tables are.
    expect(text).toMatch(/transfer 2 0\.2 0\.5 0\.575/);
  });

  it('dataset report answers 404 for an unknown dataset and 400 for a bad filter', async () => {
    expect((await api.app.inject({ method: 'GET', url: '/reports/datasets/999.pdf' })).statusCode).toBe(404);
    const bad = await api.app.inject({ method: 'GET', url: `/reports/datasets/${dataset}.pdf?from=soon` });
    expect(bad.statusCode).toBe(400);
  });

  it('run report: reads the run folder (metrics, intent report, confusion matrix, histogram, calibration)', async () => {
    const runDir = path.join(api.lab.dir, 'pipeline_runs', 'run-1');
    mkdirSync(runDir, { recursive: true });
    writeFileSync(
      path.join(runDir, 'metrics.json'),
      JSON.stringify({ accuracy: 0.8125, macro_f1: 0.7931, train_examples: 64 }),
    );
    writeFileSync(
      path.join(runDir, 'intent_report.json'),
      JSON.stringify({
        check_balance: { precision: 0.9, recall: 0.75, 'f1-score': 0.8182, support: 8 },
        transfer: { precision: 0.7, recall: 0.875, 'f1-score': 0.7778, support: 8 },
        accuracy: 0.8125,
        'macro avg': { precision: 0.8, recall: 0.8125, 'f1-score': 0.798, support: 16 },
        'weighted avg': { precision: 0.8, recall: 0.8125, 'f1-score': 0.798, support: 16 },
      }),
    );
    writeFileSync(
      path.join(runDir, 'confusion_matrix.json'),
      JSON.stringify({
        labels: ['check_balance', 'transfer'],
        matrix: [
          [6, 2],
          [1, 7],
        ],
      }),
    );
    writeFileSync(
      path.join(runDir, 'confidence_histogram.json'),
      JSON.stringify({ edges: [0, 0.5, 1], correct: [3, 10], incorrect: [2, 1] }),
    );
    const bins = (shift: number) =>
      Array.from({ length: 10 }, (_, b) => ({
        lower: b / 10,
        upper: (b + 1) / 10,
        count: b < 5 ? 0 : 3,
        confidence: b / 10 + 0.05,
        accuracy: Math.min(1, b / 10 + shift),
      }));
    writeFileSync(
      path.join(runDir, 'calibration.json'),
      JSON.stringify({ ece: 0.021, bins: bins(0.05), temperature: 1.5, before: { ece: 0.134, bins: bins(-0.1) } }),
    );
    const point = (threshold: number, inScopeAccuracy: number, oosRecall: number) => ({
      threshold,
      inScopeAccuracy,
      oosRecall,
      fallbackRate: threshold,
    });
    writeFileSync(
      path.join(runDir, 'threshold_curve.json'),
      JSON.stringify({
        source: 'held-out validation predictions',
        objective: 'balanced',
        x_axis: 'oos_recall',
        chosen: point(0.4, 0.8, 0.7),
        points: [point(0, 0.9, 0.1), point(0.4, 0.8, 0.7), point(0.8, 0.5, 0.95)],
      }),
    );
    const db = api.lab.db.kysely;
    const exp = await db
      .insertInto('experiments')
      .values({ name: 'report-test' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const run = await db
      .insertInto('runs')
      .values({
        experiment_id: exp.id,
        name: 'tfidf-baseline',
        model_type: 'tfidf-linear',
        status: 'succeeded',
        tags: '{}',
        run_dir: runDir,
        dataset_id: dataset,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const res = await api.app.inject({ method: 'GET', url: `/reports/runs/${run.id}.pdf` });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    const text = checkPdf(res.rawPayload, api.lab.dir, 'run');
    for (const s of [
      'Run report: tfidf-baseline',
      'Metrics',
      'accuracy 0.8125',
      'macro_f1 0.7931',
      'Per-intent scores',
      'Confusion matrix',
      'Per-intent table',
      'transfer 0.7 0.875 0.7778 8',
      'Calibration',
      'Test ECE 0.1340 before and 0.0210 after temperature scaling (T = 1.5',
      'Fallback threshold trade-off',
      'the marked one is the fallback threshold the run chose (objective balanced)',
    ]) {
      expect(text).toContain(s);
    }

    const queued = await db
      .insertInto('runs')
      .values({ experiment_id: exp.id, name: 'pending', model_type: 'tfidf-linear', status: 'queued', tags: '{}' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const notReady = await api.app.inject({ method: 'GET', url: `/reports/runs/${queued.id}.pdf` });
    expect(notReady.statusCode).toBe(409);
    expect(notReady.json().error.message).toContain('status queued');
    expect((await api.app.inject({ method: 'GET', url: '/reports/runs/999.pdf' })).statusCode).toBe(404);
  });
});
