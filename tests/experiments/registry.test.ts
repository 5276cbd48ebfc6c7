import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  insertModelVersion,
  listModels,
  nextVersion,
  removeAlias,
  resolveModel,
  setAlias,
} from '../../src/experiments/registry.js';
import { createRun, finishRun, getRun, getRunDetail, listRuns, logMetrics } from '../../src/experiments/runs.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';

describeEachDialect('run tracker and model registry', (dialect) => {
  let lab: TestLab;
  let runA: number;
  let runB: number;
  beforeAll(async () => {
    lab = await createTestLab(dialect);
  });
  afterAll(async () => lab?.cleanup());

  it('records runs with params, tags, metric history and a single terminal state', async () => {
    runA = await createRun(lab, {
      experiment: 'exp-1',
      datasetId: null,
      modelType: 'tfidf-linear',
      params: { learning_rate: 0.01, note: 'x' },
      tags: { owner: 'me' },
      status: 'running',
    });
    runB = await createRun(lab, { experiment: 'exp-2', datasetId: null, modelType: 'encoder-mlp', params: {} });
    await logMetrics(lab, runA, [
      { key: 'loss', step: 1, value: 2.5 },
      { key: 'loss', step: 2, value: 1.25 },
      { key: 'loss', step: 3, value: Number.NaN },
    ]);
    await finishRun(lab, runA, { status: 'cancelled', error: 'cancelled by request' });
    // A later failure does not overwrite the cancel.
    await finishRun(lab, runA, { status: 'failed', error: 'boom' });
    const detail = await getRunDetail(lab, runA);
    expect(detail).toMatchObject({
      status: 'cancelled',
      error: 'cancelled by request',
      experiment: 'exp-1',
      params: { learning_rate: 0.01, note: 'x' },
      tags: { owner: 'me' },
    });
    expect(detail.duration_ms).toBeGreaterThanOrEqual(0);
    expect(detail.metric_history.map((h) => [h.step, h.value])).toEqual([
      [1, 2.5],
      [2, 1.25],
    ]);
    expect((await listRuns(lab, { experiment: 'exp-2' })).map((r) => r.id)).toEqual([runB]);
    expect((await listRuns(lab, { status: 'queued' })).map((r) => r.id)).toEqual([runB]);
    await expect(getRun(lab, 12345)).rejects.toMatchObject({ status: 404 });
  });

  it('numbers versions, resolves alias / number / name:version, moves and removes aliases', async () => {
    expect(await nextVersion(lab.db.kysely, 'intent-classifier')).toBe(1);
    for (const runId of [runA, runB]) {
      await insertModelVersion(lab.db.kysely, {
        version: await nextVersion(lab.db.kysely, 'intent-classifier'),
        runId,
        modelType: 'tfidf-linear',
        path: `/models/${runId}`,
        labels: ['a', 'b'],
        metrics: { accuracy: 0.9, threshold: 0.3 },
      });
    }
    expect((await resolveModel(lab, '2')).run_id).toBe(runB);
    expect((await resolveModel(lab, 'intent-classifier:1')).run_id).toBe(runA);
    expect((await resolveModel(lab, 1)).threshold).toBe(0.3);
    await expect(resolveModel(lab)).rejects.toMatchObject({
      status: 404,
      message: expect.stringMatching(/^model "production" was not found; available aliases: \(none\); versions: 1, 2$/),
    });

    expect((await setAlias(lab, 1, 'production')).aliases).toEqual(['production']);
    await setAlias(lab, 2, 'staging');
    expect((await resolveModel(lab, 'staging')).version).toBe(2);
    await setAlias(lab, 2, 'production');
    expect((await resolveModel(lab)).version).toBe(2);
    expect((await listModels(lab)).map((m) => [m.version, m.aliases])).toEqual([
      [2, ['production', 'staging']],
      [1, []],
    ]);
    await expect(setAlias(lab, 1, '1bad')).rejects.toMatchObject({ status: 400 });
    await expect(removeAlias(lab, 1, 'production')).rejects.toMatchObject({ status: 404 });
    expect((await removeAlias(lab, 2, 'staging')).aliases).toEqual(['production']);
  });
});
