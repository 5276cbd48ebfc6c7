import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseFilters, runAnalytics } from '../../src/analytics/index.js';
import type { FallbackResult } from '../../src/analytics/fallback.js';
import { labelTurns } from '../../src/analytics/label.js';
import { ingestDataset } from '../../src/datasets/ingest.js';
import { runReportPdf } from '../../src/reports/run-report.js';
import { trainModel } from '../../src/training/pipeline.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import { banking77Dir, seedBanking77, SUBSET_INTENTS } from '../training/support.js';

/**
 * End to end with the real classifier: train tfidf-linear on a BANKING77 subset, then label a raw
 * log (no intents) built from BANKING77 test texts of the same intents.
 */
describeEachDialect('labelling a raw log with a trained model', (dialect) => {
  let lab: TestLab;
  let logId: number;
  let modelVersion: number;
  let runId: number;
  const truth = new Map<string, string>();
  beforeAll(async () => {
    lab = await createTestLab(dialect);
    const trainId = await seedBanking77(lab);
    const run = await trainModel(lab, { datasetId: trainId, modelType: 'tfidf-linear', seed: 7 });
    expect(run.status, String(run.error)).toBe('succeeded');
    modelVersion = run.model_version!;
    runId = run.id;
    const rows = (
      parse(readFileSync(path.join(banking77Dir, 'test.csv'), 'utf8'), { columns: true }) as Array<{
        text: string;
        category: string;
      }>
    )
      .filter((r) => SUBSET_INTENTS.includes(r.category))
      .slice(0, 60);
    const lines = rows.flatMap((r, i) => {
      truth.set(r.text, r.category);
      return [
        {
          conversation_id: `c${Math.floor(i / 3)}`,
          speaker: 'customer',
          text: r.text,
          timestamp: 1_735_689_600_000 + i * 60_000,
        },
        {
          conversation_id: `c${Math.floor(i / 3)}`,
          speaker: 'agent',
          text: 'Let me check.',
          timestamp: 1_735_689_600_000 + i * 60_000 + 5_000,
        },
      ];
    });
    const file = path.join(lab.dir, 'raw.jsonl');
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n'));
    logId = (await ingestDataset(lab, { type: 'jsonl', path: file, name: 'raw-log' })).dataset.id;
  });
  afterAll(async () => lab?.cleanup());

  it('stores predicted intent and confidence per user turn, leaving the given label empty', async () => {
    const result = await labelTurns(lab, { datasetId: logId, model: String(modelVersion), batchSize: 16 });
    expect(result).toMatchObject({ labelled: 60, predicted_total: 60, model_version: modelVersion });
    const turns = await lab.db.kysely
      .selectFrom('turns')
      .select(['text', 'intent', 'predicted_intent', 'confidence'])
      .where('dataset_id', '=', logId)
      .where('speaker', '=', 'USER')
      .execute();
    expect(
      turns.every((t) => t.intent === null && t.predicted_intent !== null && t.confidence! > 0 && t.confidence! <= 1),
    ).toBe(true);
    const correct = turns.filter((t) => truth.get(t.text) === t.predicted_intent).length;
    expect(correct / turns.length).toBeGreaterThan(0.7);
    // Analytics now run on the predicted intents (the effective intent).
    const fb = (await runAnalytics(lab, 'fallback', parseFilters({ dataset: logId }), {
      threshold: result.threshold,
    })) as FallbackResult;
    expect(fb.turns).toBe(60);
    expect(fb.fallback).toBe(result.below_threshold);
  });

  it('renders the run report of the real training run', async () => {
    const pdf = await runReportPdf(lab, runId);
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(10_000);
  });
});
