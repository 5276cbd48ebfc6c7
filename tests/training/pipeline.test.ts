import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { getRun, getRunDetail, listRuns } from '../../src/experiments/runs.js';
import { listModels, resolveModel, setAlias } from '../../src/experiments/registry.js';
import { getPredictor } from '../../src/training/predict.js';
import { prepareRun, trainModel } from '../../src/training/pipeline.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import { seedBanking77, SUBSET_INTENTS } from './support.js';

describeEachDialect('training pipeline', (dialect) => {
  let lab: TestLab;
  let datasetId: number;

  beforeAll(async () => {
    lab = await createTestLab(dialect);
    datasetId = await seedBanking77(lab);
  });
  afterAll(async () => lab?.cleanup());

  it('trains tfidf-linear on a BANKING77 subset, writes every artifact and registers a version', async () => {
    const run = await trainModel(lab, { datasetId, modelType: 'tfidf-linear', seed: 7 });
    expect(run.error).toBeNull();
    expect(run.status).toBe('succeeded');
    expect(run.model_version).toBe(1);
    const metrics = run.metrics as Record<string, number>;
    expect(metrics.accuracy).toBeGreaterThan(0.8);
    expect(metrics.examples).toBe(200);
    expect(run.params).toMatchObject({ seed: 7, validation_fraction: 0.1 });

    const dir = run.run_dir!;
    expect(path.basename(dir)).toMatch(/^tfidf-linear_\d{8}T\d{6}_run\d+$/);
    for (const file of [
      'config.json',
      'metrics.json',
      'intent_report.json',
      'confusion_matrix.json',
      'confusion_matrix.svg',
      'errors.jsonl',
      'confidence_histogram.json',
      'calibration.json',
      'training.log',
    ]) {
      expect(existsSync(path.join(dir, file)), file).toBe(true);
    }
    // tfidf-linear does not refit by default: its validation rows were held out from training.
    expect(JSON.parse(readFileSync(path.join(dir, 'metrics.json'), 'utf8'))).toMatchObject({
      validation_source: 'held-out',
      oos_objective: 'accuracy',
      val_accuracy: expect.any(Number),
      temperature: expect.any(Number),
      ece_before_scaling: expect.any(Number),
    });
    const calibration = JSON.parse(readFileSync(path.join(dir, 'calibration.json'), 'utf8'));
    expect(calibration).toMatchObject({ fitted_on: 'held-out validation predictions', ece: metrics.ece });
    expect(calibration.before.bins).toHaveLength(10);
    const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(config.dataset).toMatchObject({ id: datasetId, checksum: expect.any(String) });
    expect(config.seed).toBe(7);
    expect(config.split_sizes.test).toBe(200);
    const report = JSON.parse(readFileSync(path.join(dir, 'intent_report.json'), 'utf8'));
    expect(Object.keys(report)).toEqual(
      expect.arrayContaining([...SUBSET_INTENTS, 'accuracy', 'macro avg', 'weighted avg']),
    );
    expect(report.change_pin).toMatchObject({ support: 20, confused_with: expect.any(Object) });
    const matrix = JSON.parse(readFileSync(path.join(dir, 'confusion_matrix.json'), 'utf8'));
    expect(matrix.matrix.flat().reduce((s: number, v: number) => s + v, 0)).toBe(200);
    const errors = readFileSync(path.join(dir, 'errors.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(errors.length).toBe(Math.round((1 - metrics.accuracy!) * 200));
    if (errors.length) expect(errors[0].top).toHaveLength(3);
    // The true intent is `label` in errors.jsonl and predictions.json, as in the examples.
    if (errors.length)
      expect(Object.keys(errors[0])).toEqual(['id', 'text', 'label', 'predicted', 'confidence', 'top']);
    const predictions = JSON.parse(readFileSync(path.join(dir, 'predictions.json'), 'utf8'));
    expect(Object.keys(predictions.examples[0])).toEqual(['id', 'text', 'label', 'predicted', 'confidence', 'correct']);
    expect(readFileSync(path.join(dir, 'confusion_matrix.svg'), 'utf8')).toContain('<svg');

    const detail = await getRunDetail(lab, run.id);
    expect(detail.artifacts.map((a) => a.path)).toEqual(expect.arrayContaining(['metrics.json', 'intent_report.json']));
    expect(detail.artifacts.every((a) => /^[0-9a-f]{64}$/.test(a.sha256))).toBe(true);
    expect(detail.metric_history.some((h) => h.key === 'loss')).toBe(true);

    const model = await resolveModel(lab, 1);
    expect(model.labels.sort()).toEqual([...SUBSET_INTENTS].sort());
    expect(model.threshold).toBeGreaterThanOrEqual(0);
    expect(existsSync(model.path)).toBe(true);
  });

  it("serves the registered model through getPredictor with the run's own test predictions", async () => {
    await setAlias(lab, 1, 'production');
    const predictor = await getPredictor(lab);
    expect(predictor.modelVersion).toBe(1);
    const model = await resolveModel(lab, 1);
    const saved = JSON.parse(
      readFileSync(path.join((await getRun(lab, model.run_id!)).run_dir!, 'predictions.json'), 'utf8'),
    );
    const sample = saved.examples.slice(0, 25) as Array<{ text: string; predicted: string; confidence: number }>;
    const again = await predictor.predict(sample.map((e) => e.text));
    again.forEach((p, i) => {
      expect(p.intent).toBe(sample[i]!.predicted);
      expect(p.confidence).toBeCloseTo(sample[i]!.confidence, 5);
      expect(p.fallback).toBe(p.confidence < predictor.threshold);
    });
    // Library callers may pass empty turns; they get a prediction, not an error.
    expect(await predictor.predict(['', 'lost card'], 1)).toHaveLength(2);
    expect(await predictor.predict([])).toEqual([]);
  });

  it('rejects bad input before any run exists', async () => {
    const before = (await listRuns(lab)).length;
    await expect(prepareRun(lab, { datasetId: 9999, modelType: 'tfidf-linear' })).rejects.toMatchObject({
      status: 404,
    });
    await expect(prepareRun(lab, { datasetId, modelType: 'nope' as never })).rejects.toMatchObject({
      status: 400,
      details: [expect.objectContaining({ field: 'model_type' })],
    });
    await expect(
      prepareRun(lab, { datasetId, modelType: 'tfidf-linear', overrides: { no_such_param: 1 } }),
    ).rejects.toMatchObject({
      status: 400,
      details: [expect.objectContaining({ field: 'training_overrides.no_such_param' })],
    });
    const single = await seedBanking77(lab, {
      name: 'single-example',
      intents: ['age_limit'],
      trainPerIntent: 5,
      extraTrain: [{ text: 'my pin is blocked', label: 'pin_blocked' }],
    });
    await expect(prepareRun(lab, { datasetId: single, modelType: 'tfidf-linear' })).rejects.toThrow(
      /single training example: pin_blocked/,
    );
    await expect(
      prepareRun(lab, { datasetId, modelType: 'tfidf-linear', oosObjective: 'recall@0.6x' }),
    ).rejects.toMatchObject({ status: 400, details: [expect.objectContaining({ field: 'oos_objective' })] });
    const oneLabel = await seedBanking77(lab, { name: 'one-label', intents: ['age_limit'], trainPerIntent: 5 });
    await expect(prepareRun(lab, { datasetId: oneLabel, modelType: 'tfidf-linear' })).rejects.toThrow(/at least 2/);
    expect((await listRuns(lab)).length).toBe(before);
    expect((await listModels(lab)).length).toBe(1);
  });
});
