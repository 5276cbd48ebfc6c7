import { afterAll, beforeAll, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import path from 'node:path';
import { readRunArtifact } from '../../src/experiments/artifacts.js';
import { createTestApi, type TestApi } from '../support/api.js';
import { describeEachDialect } from '../support/databases.js';
import { seedBanking77, SUBSET_INTENTS } from '../training/support.js';

async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function parseSse(payload: string): Array<{ event: string; data: Record<string, unknown> }> {
  return payload
    .split('\n\n')
    .filter((block) => block.startsWith('event:'))
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return { event: eventLine!.slice(7), data: JSON.parse(dataLine!.slice(6)) };
    });
}

describeEachDialect('training API', (dialect) => {
  let api: TestApi;
  let datasetId: number;
  let firstRun: number;
  let secondRun: number;

  beforeAll(async () => {
    api = await createTestApi(dialect);
    datasetId = await seedBanking77(api.lab);
  });
  afterAll(async () => api?.close());

  const post = (url: string, payload: unknown) => api.app.inject({ method: 'POST', url, payload: payload as object });
  const get = (url: string) => api.app.inject({ method: 'GET', url });

  it('predicting before any model is registered is a 404 saying what to do', async () => {
    const res = await post('/intents/predict', { text: 'I lost my card' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.details[0].problem).toMatch(/no model is registered/);
  });

  it('trains synchronously and returns the run with metrics and its model version', async () => {
    const res = await post('/training/run', { dataset_id: datasetId, model_type: 'tfidf-linear', seed: 1 });
    expect(res.statusCode, res.body).toBe(200);
    const run = res.json();
    expect(run).toMatchObject({
      status: 'succeeded',
      model_type: 'tfidf-linear',
      dataset_id: datasetId,
      model_version: 1,
    });
    expect(run.metrics.accuracy).toBeGreaterThan(0.8);
    firstRun = run.id;

    const detail = (await get(`/training/runs/${run.id}`)).json();
    expect(detail.metric_history.filter((h: { key: string }) => h.key === 'loss').length).toBeGreaterThan(0);
    expect(detail.artifacts.map((a: { path: string }) => a.path)).toContain('confusion_matrix.svg');
    const list = (await get('/training/runs?status=succeeded')).json();
    expect(list.runs.map((r: { id: number }) => r.id)).toContain(run.id);
  });

  it('registers, promotes, predicts with the promoted model and demotes', async () => {
    const second = await post('/training/run', {
      dataset_id: 'banking77-subset',
      model_type: 'tfidf-linear',
      training_overrides: { num_epochs: 2, learning_rate: 0.001 },
      seed: 2,
    });
    expect(second.statusCode, second.body).toBe(200);
    secondRun = second.json().id;

    const models = (await get('/models')).json().models;
    expect(models.map((m: { version: number }) => m.version)).toEqual([2, 1]);

    const promoted = await post('/models/1/aliases', { alias: 'production' });
    expect(promoted.statusCode, promoted.body).toBe(200);
    expect(promoted.json().aliases).toEqual(['production']);

    const pred = await post('/intents/predict', {
      texts: ['I want to change my PIN', 'how old do I need to be'],
      top_k: 2,
    });
    expect(pred.statusCode, pred.body).toBe(200);
    const body = pred.json();
    expect(body.model.version).toBe(1);
    expect(body.predictions[0]).toMatchObject({ intent: 'change_pin', fallback: expect.any(Boolean) });
    expect(body.predictions[0].top).toHaveLength(2);
    expect(body.predictions[1].intent).toBe('age_limit');
    expect(SUBSET_INTENTS).toContain(body.predictions[0].top[1].intent);

    const byVersion = await post('/intents/predict', { text: 'my card has not arrived', model: '2' });
    expect(byVersion.json().model.version).toBe(2);

    // Moving the alias moves prediction.
    await post('/models/2/aliases', { alias: 'production' });
    expect((await post('/intents/predict', { text: 'exchange rate?' })).json().model.version).toBe(2);

    const demoted = await api.app.inject({ method: 'DELETE', url: '/models/2/aliases/production' });
    expect(demoted.statusCode).toBe(200);
    expect(demoted.json().aliases).toEqual([]);
    const missing = await post('/intents/predict', { text: 'hello' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.details[0].available_versions).toEqual([1, 2]);
    await post('/models/1/aliases', { alias: 'production' });
  });

  it('compares two runs with metric deltas, per-intent F1 deltas and McNemar', async () => {
    const res = await get(`/runs/compare?ids=${firstRun},${secondRun}`);
    expect(res.statusCode, res.body).toBe(200);
    const c = res.json().comparisons[0];
    expect(c.baseline).toBe(firstRun);
    expect(c.metric_deltas.accuracy.delta).toBeCloseTo(
      c.metric_deltas.accuracy.candidate - c.metric_deltas.accuracy.baseline,
      10,
    );
    expect(c.intent_f1_deltas).toHaveLength(SUBSET_INTENTS.length);
    expect(c.mcnemar.shared_examples).toBe(200);
    // The discordant counts explain the accuracy difference exactly.
    expect((c.mcnemar.c - c.mcnemar.b) / 200).toBeCloseTo(c.metric_deltas.accuracy.delta, 10);
    expect(c.verdict).toMatch(/significant/);
  });

  it('runs asynchronously: 202 with the run id, SSE events until the run ends', async () => {
    const res = await post('/training/run', { dataset_id: datasetId, model_type: 'tfidf-linear', async_run: true });
    expect(res.statusCode, res.body).toBe(202);
    const { run_id, events_url } = res.json();
    const events = await get(events_url);
    expect(events.headers['content-type']).toMatch(/text\/event-stream/);
    const parsed = parseSse(events.payload);
    const kinds = new Set(parsed.map((e) => e.event));
    expect(kinds.has('status')).toBe(true);
    expect(kinds.has('phase')).toBe(true);
    const epochs = parsed.filter((e) => e.event === 'epoch').map((e) => e.data);
    expect(epochs.length).toBeGreaterThan(0);
    expect(epochs.at(-1)).toMatchObject({
      run_id,
      epoch: expect.any(Number),
      loss: expect.any(Number),
      eta_seconds: expect.any(Number),
    });
    expect(parsed.at(-1)).toMatchObject({ event: 'status', data: { status: 'succeeded' } });
    expect((await get(`/training/runs/${run_id}`)).json().status).toBe('succeeded');
    // The job row is closed just after the run itself.
    const job = await waitFor(async () => {
      const row = await api.lab.db.kysely
        .selectFrom('jobs')
        .selectAll()
        .where('run_id', '=', run_id)
        .executeTakeFirstOrThrow();
      return row.status === 'running' ? undefined : row;
    });
    expect(job).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('cancels a running run: cancelled with the reason, no model registered', async () => {
    const before = (await get('/models')).json().models.length;
    const res = await post('/training/run', {
      dataset_id: datasetId,
      model_type: 'tfidf-linear',
      training_overrides: { num_epochs: 200, batch_size: 1 },
      async_run: true,
    });
    const { run_id } = res.json();
    await waitFor(async () => {
      const detail = (await get(`/training/runs/${run_id}`)).json();
      return detail.status === 'running' ? detail : undefined;
    });
    const cancel = await post(`/training/runs/${run_id}/cancel`, {});
    expect(cancel.statusCode, cancel.body).toBe(200);
    const run = await waitFor(async () => {
      const r = (await get(`/training/runs/${run_id}`)).json();
      return r.status === 'running' ? undefined : r;
    });
    expect(run).toMatchObject({ status: 'cancelled', error: 'cancelled by request', model_version: null });
    expect((await get('/models')).json().models.length).toBe(before);
    const again = await post(`/training/runs/${run_id}/cancel`, {});
    expect(again.statusCode).toBe(409);
  });

  it('answers bad input with 4xx naming the problem, and leaves no run running', async () => {
    const cases: Array<[string, unknown, number, RegExp]> = [
      ['/training/run', { dataset_id: 9999, model_type: 'tfidf-linear' }, 404, /dataset "9999"/],
      [
        '/training/run',
        { dataset_id: datasetId, model_type: 'gpt-9' },
        400,
        /model_type must be one of tfidf-linear, encoder-mlp, ensemble/,
      ],
      [
        '/training/run',
        { dataset_id: datasetId, model_type: 'tfidf-linear', training_overrides: { num_epochs: 0 } },
        400,
        /training_overrides.num_epochs must be >= 1/,
      ],
      [
        '/training/run',
        { dataset_id: datasetId, model_type: 'tfidf-linear', training_overrides: { learning_rate: 5 } },
        400,
        /learning_rate must be <= 1/,
      ],
      ['/training/run', { model_type: 'tfidf-linear' }, 400, /or dataset_type is required/],
      [
        '/training/run',
        { dataset_type: 'sgd', model_type: 'tfidf-linear' },
        404,
        /dataset of type "sgd" was not found/,
      ],
      ['/intents/predict', { text: '   ' }, 400, /empty/],
      ['/intents/predict', { texts: [] }, 400, /at least one/],
      ['/intents/predict', { texts: ['ok', ''] }, 400, /texts\[1\]/],
      ['/intents/predict', {}, 400, /text/],
      [
        '/intents/predict',
        { text: 'hi', model: 'nightly' },
        404,
        /model "nightly" was not found; available aliases: production/,
      ],
      ['/models/99/aliases', { alias: 'production' }, 404, /model "99"/],
      ['/models/1/aliases', { alias: 'bad alias!' }, 400, /alias/],
      [
        '/training/hyperparameter-search',
        { dataset_id: datasetId, model_type: 'tfidf-linear', space: { nope: [1] } },
        400,
        /space.nope/,
      ],
      [
        '/training/hyperparameter-search',
        { dataset_id: datasetId, model_type: 'tfidf-linear', space: { learning_rate: { min: 0.1, max: 0.2 } } },
        400,
        /grid search needs a list/,
      ],
      ['/training/crossval', { dataset_id: datasetId, model_type: 'tfidf-linear', folds: 1 }, 400, /folds/],
      [
        '/training/run',
        { dataset_id: datasetId, model_type: 'tfidf-linear', oos_objective: 'recall@2' },
        400,
        /oos_objective must be accuracy, balanced or recall@/,
      ],
    ];
    for (const [url, payload, status, message] of cases) {
      const res = await post(url, payload);
      expect(res.statusCode, `${url} ${JSON.stringify(payload)}: ${res.body}`).toBe(status);
      expect(res.json().error.message, JSON.stringify(payload)).toMatch(message);
    }
    expect((await get('/training/runs/99999')).statusCode).toBe(404);
    expect((await get('/runs/compare?ids=1')).statusCode).toBe(400);
    expect((await get('/training/runs?status=running')).json().runs).toEqual([]);
  });

  it('searches hyper-parameters: parent run, child runs, leaderboard, best params', async () => {
    const res = await post('/training/hyperparameter-search', {
      dataset_id: datasetId,
      model_type: 'tfidf-linear',
      space: { learning_rate: [0.001, 0.01], num_epochs: [3] },
      strategy: 'grid',
    });
    expect(res.statusCode, res.body).toBe(200);
    const parent = res.json();
    expect(parent.status).toBe('succeeded');
    expect(parent.metrics.leaderboard).toHaveLength(2);
    const best = parent.metrics.leaderboard[0];
    expect(best.score).toBeGreaterThanOrEqual(parent.metrics.leaderboard[1].score);
    expect(parent.metrics.best_params).toEqual(best.params);
    // The leaderboard is a run artifact, recorded with its size, read back through the store.
    const parentDetail = (await get(`/training/runs/${parent.id}`)).json();
    const board = parentDetail.artifacts.find((a: { path: string }) => a.path === 'leaderboard.json');
    expect(board).toMatchObject({ kind: 'leaderboard', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(board.size_bytes).toBe(statSync(path.join(parentDetail.run_dir, 'leaderboard.json')).size);
    expect(readRunArtifact(parentDetail.run_dir, 'leaderboard')).toEqual(parent.metrics);
    const children = (await get(`/training/runs?parent_run_id=${parent.id}`)).json().runs;
    expect(children).toHaveLength(2);
    expect(children.every((c: { status: string; metrics: { test?: unknown } }) => c.status === 'succeeded')).toBe(true);
    // Trials are scored on validation rows their model never trained on.
    expect(children.map((c: { metrics: { validation_source: string } }) => c.metrics.validation_source)).toEqual([
      'held-out',
      'held-out',
    ]);
  });

  it('cross-validates with mean ± std and records the label-error finding on the dataset', async () => {
    const res = await post('/training/crossval', {
      dataset_id: datasetId,
      model_type: 'tfidf-linear',
      folds: 3,
      training_overrides: { num_epochs: 5 },
    });
    expect(res.statusCode, res.body).toBe(200);
    const run = res.json();
    expect(run.metrics).toMatchObject({
      folds: 3,
      accuracy_mean: expect.any(Number),
      accuracy_std: expect.any(Number),
      validation_source: 'out-of-fold',
    });
    const detail = (await get(`/training/runs/${run.id}`)).json();
    expect(detail.metric_history.filter((h: { key: string }) => h.key === 'fold_accuracy')).toHaveLength(3);
    expect(detail.artifacts.map((a: { path: string; kind: string }) => [a.path, a.kind])).toEqual([
      ['crossval.json', 'crossval'],
      ['label_issues.jsonl', 'label_issues'],
    ]);
    expect(readRunArtifact(detail.run_dir, 'crossval')?.per_fold).toHaveLength(3);
    const issues = readRunArtifact(detail.run_dir, 'label_issues')!;
    expect(issues).toHaveLength(Math.min(run.metrics.likely_label_errors, 100));
    expect(issues.every((i) => typeof i.example_id === 'number' && i.given !== i.suggested)).toBe(true);
    const row = await api.lab.db.kysely
      .selectFrom('datasets')
      .select('validation')
      .where('id', '=', datasetId)
      .executeTakeFirstOrThrow();
    const finding = JSON.parse(row.validation!).training_findings.find(
      (f: { id: string }) => f.id === 'likely_label_errors',
    );
    expect(finding).toMatchObject({ count: run.metrics.likely_label_errors, split: 'train', source: 'training' });
  });
});
