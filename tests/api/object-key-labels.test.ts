import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApi, type TestApi } from '../support/api.js';
import { describeEachDialect } from '../support/databases.js';
import {
  LABELLED_PER_LABEL,
  OBJECT_KEY_LABELS,
  TEST_PER_LABEL,
  TRAIN_PER_LABEL,
  UNLABELLED_TURNS,
  writeObjectKeyDataset,
  writeObjectKeyLog,
} from '../support/object-key-data.js';

/**
 * Issue 11: labels, intents, column, table and parameter names that are JavaScript object keys
 * (`__proto__`, `constructor`, `toString`, `hasOwnProperty`) go through every path — ingestion,
 * validation, training, prediction, labelling, every analytics answer as JSON and CSV, both PDFs,
 * compare and cross-validation — and come out as ordinary names, with the process unharmed.
 */
const LABELS = [...OBJECT_KEY_LABELS];
const sorted = (xs: Iterable<string>) => [...xs].sort();
const prototypeNames = () => Object.getOwnPropertyNames(Object.prototype).sort();

describeEachDialect('labels that are object keys', (dialect) => {
  let api: TestApi;
  let dataset: number;
  let log: number;
  const baseline = prototypeNames();

  const get = (url: string) => api.app.inject({ method: 'GET', url });
  const post = (url: string, payload: unknown) => api.app.inject({ method: 'POST', url, payload: payload as object });
  const ok = async (url: string, payload?: unknown) => {
    const res = payload === undefined ? await get(url) : await post(url, payload);
    expect(res.statusCode, `${url}: ${res.body.slice(0, 500)}`).toBe(200);
    return res;
  };

  beforeAll(async () => {
    api = await createTestApi(dialect);
    const root = api.lab.settings.datasetDir;
    writeObjectKeyDataset(path.join(root, 'object-keys'));
    writeObjectKeyLog(path.join(root, 'object-keys-log'));
    const d = await post('/datasets/upload', { dataset_type: 'banking77', file_path: 'object-keys', name: 'keys' });
    expect(d.statusCode, d.body).toBe(201);
    dataset = d.json().dataset.id;
    const l = await post('/datasets/upload', {
      dataset_type: 'csv',
      file_path: 'object-keys-log/log.csv',
      name: 'log',
    });
    expect(l.statusCode, l.body).toBe(201);
    log = l.json().dataset.id;
  }, 120_000);
  afterAll(async () => api?.close());

  it('ingests and validates them: counts per label and split, examples filtered by label', async () => {
    const summary = (await ok(`/datasets/${dataset}/summary`)).json();
    expect(sorted(summary.labels.map((l: { label: string }) => l.label))).toEqual(sorted(LABELS));
    for (const l of summary.labels) {
      expect(l.total).toBe(TRAIN_PER_LABEL + TEST_PER_LABEL);
      expect(l.by_split).toEqual({ train: TRAIN_PER_LABEL, test: TEST_PER_LABEL });
    }
    for (const method of ['GET', 'POST'] as const) {
      const res = await api.app.inject({ method, url: `/datasets/${dataset}/validation` });
      expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
      const report = res.json();
      for (const label of LABELS) {
        expect(report.splits.train.labels[label]).toBe(TRAIN_PER_LABEL);
        expect(report.splits.test.labels[label]).toBe(TEST_PER_LABEL);
      }
      expect(Object.keys(report.splits.train.labels)).toHaveLength(4);
      expect(report.summary.errors).toBe(0);
    }
    for (const label of LABELS) {
      const page = (await ok(`/datasets/${dataset}/examples?label=${encodeURIComponent(label)}&limit=100`)).json();
      expect(page.items).toHaveLength(TRAIN_PER_LABEL + TEST_PER_LABEL);
      expect(new Set(page.items.map((e: { label: string }) => e.label))).toEqual(new Set([label]));
    }
  });

  it('keeps CSV columns named __proto__ and constructor as turn metadata', async () => {
    const list = (await ok(`/conversations?dataset_id=${log}&limit=100`)).json();
    expect(list.items).toHaveLength(8);
    const c0 = list.items.find((c: { external_id: string }) => c.external_id === 'c0');
    const detail = (await ok(`/conversations/${c0.id}`)).json();
    const first = detail.turns[0];
    expect(Object.hasOwn(first.metadata, '__proto__')).toBe(true);
    expect(first.metadata.__proto__).toBe('m0-0');
    expect(Object.hasOwn(first.metadata, 'constructor') && first.metadata.constructor).toBe('x0');
    const byIntent = (await ok(`/conversations?dataset_id=${log}&intent=__proto__&limit=100`)).json();
    expect(byIntent.items.length).toBeGreaterThan(0);
  });

  let runA: number;
  let runB: number;

  it('trains on them, writes every intent to the run report, predicts them', async () => {
    runA = (await ok('/training/run', { dataset_id: dataset, model_type: 'tfidf-linear', alias: 'production' })).json()
      .id;
    runB = (await ok('/training/run', { dataset_id: dataset, model_type: 'tfidf-linear', seed: 7 })).json().id;
    const run = (await ok(`/training/runs/${runA}`)).json();
    expect(run.status).toBe('succeeded');
    const report = JSON.parse(readFileSync(path.join(run.run_dir, 'intent_report.json'), 'utf8'));
    for (const label of LABELS) {
      expect(Object.hasOwn(report, label), label).toBe(true);
      expect(report[label].support).toBe(TEST_PER_LABEL);
    }
    const evaluation = (await ok(`/training/runs/${runA}/evaluation`)).json();
    expect(sorted(Object.keys(evaluation.intents))).toEqual(sorted(LABELS));
    expect(evaluation.confusion.labels).toEqual(expect.arrayContaining(LABELS));

    const predicted = (await ok('/intents/predict', { texts: ['please activate my new card'], top_k: 4 })).json();
    expect(sorted(predicted.predictions[0].top.map((t: { intent: string }) => t.intent))).toEqual(sorted(LABELS));
    expect(predicted.predictions[0].intent).toBe('__proto__');
  }, 120_000);

  it('refuses parameter and table names that are object keys like any unknown name', async () => {
    const train = await post('/training/run', {
      dataset_id: dataset,
      model_type: 'tfidf-linear',
      training_overrides: { constructor: 1 },
    });
    expect(train.statusCode).toBe(400);
    expect(train.json().error.details[0].field).toBe('training_overrides.constructor');
    const search = await post('/training/hyperparameter-search', {
      dataset_id: dataset,
      model_type: 'tfidf-linear',
      space: { toString: [1, 2] },
    });
    expect(search.statusCode).toBe(400);
    expect(search.json().error.details[0].field).toBe('space.toString');
    const poisoned = await api.app.inject({
      method: 'POST',
      url: '/training/run',
      headers: { 'content-type': 'application/json' },
      payload: '{"dataset_id":1,"model_type":"tfidf-linear","training_overrides":{"__proto__":{"x":1}}}',
    });
    expect(poisoned.statusCode).toBe(400);
    for (const table of ['__proto__', 'constructor', 'hasOwnProperty']) {
      const res = await get(`/analytics/intents?dataset=${log}&format=csv&table=${table}`);
      expect(res.statusCode, table).toBe(400);
      expect(res.json().error.details[0].field).toBe('querystring.table');
    }
  });

  it('labels the log and answers every analytics endpoint as JSON and CSV', async () => {
    const before = (await ok(`/analytics/intents?dataset=${log}`)).json();
    expect(before.unlabelled).toBe(UNLABELLED_TURNS);
    for (const label of LABELS) {
      expect(before.intents.find((i: { intent: string }) => i.intent === label)?.count).toBe(LABELLED_PER_LABEL);
    }

    const labelled = await labelLog(api, log);
    expect(labelled.labelled).toBe(UNLABELLED_TURNS + LABELS.length * LABELLED_PER_LABEL);

    // Expected effective intents: the given label, else the stored prediction.
    const expected = new Map<string, number>();
    for (const c of (await ok(`/conversations?dataset_id=${log}&limit=100`)).json().items) {
      for (const t of (await ok(`/conversations/${c.id}`)).json().turns) {
        if (t.speaker !== 'USER') continue;
        const intent = t.intent ?? t.predicted_intent;
        expect(LABELS).toContain(intent);
        expected.set(intent, (expected.get(intent) ?? 0) + 1);
      }
    }
    const intents = (await ok(`/analytics/intents?dataset=${log}&granularity=month`)).json();
    expect(intents.unlabelled).toBe(0);
    expect(new Map(intents.intents.map((i: { intent: string; count: number }) => [i.intent, i.count]))).toEqual(
      expected,
    );
    const series = intents.series[0].counts;
    expect(new Map(Object.entries(series))).toEqual(expected);

    for (const kind of ['overview', 'intents', 'flows', 'fallback', 'sessions', 'sentiment']) {
      await ok(`/analytics/${kind}?dataset=${log}&granularity=day`);
      for (const label of LABELS) await ok(`/analytics/${kind}?dataset=${log}&intent=${encodeURIComponent(label)}`);
      const unknown = await get(`/analytics/${kind}?dataset=${log}&format=csv&table=nope`);
      const tables = String(unknown.json().error.details[0].problem)
        .replace(/^must be one of /, '')
        .split(', ');
      expect(tables.length).toBeGreaterThan(0);
      for (const table of tables) {
        const csv = await ok(`/analytics/${kind}?dataset=${log}&format=csv&table=${table}`);
        expect(csv.body).not.toMatch(/native code|\[object Object\]|undefined/);
        parse(csv.body, { columns: true });
      }
    }
    const csv = parse((await ok(`/analytics/intents?dataset=${log}&format=csv`)).body, { columns: true }) as Array<{
      intent: string;
      count: string;
    }>;
    expect(new Map(csv.map((r) => [r.intent, Number(r.count)]))).toEqual(expected);
    const flows = (await ok(`/analytics/flows?dataset=${log}`)).json();
    for (const l of flows.links) {
      expect(LABELS).toContain(l.source);
      expect(LABELS).toContain(l.target);
    }
    const fallback = (await ok(`/analytics/fallback?dataset=${log}`)).json();
    expect(sorted(fallback.by_intent.map((r: { intent: string }) => r.intent))).toEqual(sorted(expected.keys()));
  }, 120_000);

  it('renders both PDF reports with every label in them', async () => {
    for (const url of [`/reports/runs/${runA}.pdf`, `/reports/datasets/${log}.pdf`]) {
      const res = await ok(url);
      expect(res.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
      const file = path.join(api.lab.dir, `${path.basename(url)}`);
      writeFileSync(file, res.rawPayload);
      const text = execFileSync('pdftotext', ['-raw', file, '-'], { encoding: 'utf8' });
      for (const label of LABELS) expect(text, `${url} ${label}`).toContain(label);
    }
  }, 120_000);

  it('compares runs and cross-validates over them', async () => {
    const comparison = (await ok(`/runs/compare?ids=${runA},${runB}`)).json();
    const deltas = comparison.comparisons[0].intent_f1_deltas;
    expect(sorted(deltas.map((d: { intent: string }) => d.intent))).toEqual(sorted(LABELS));
    for (const d of deltas) expect(typeof d.baseline).toBe('number');
    const cv = (await ok('/training/crossval', { dataset_id: dataset, model_type: 'tfidf-linear', folds: 2 })).json();
    expect(cv.status).toBe('succeeded');
    expect(cv.metrics.accuracy_mean).toBeGreaterThan(0.5);
  }, 120_000);

  it('leaves the process healthy: nothing written onto Object.prototype, metrics and health answer', async () => {
    expect(prototypeNames()).toEqual(baseline);
    expect('prev' in {}).toBe(false);
    await ok('/health/live');
    const metrics = await ok('/metrics');
    expect(metrics.body).toContain('http_requests_total');
    expect(await api.app.monitoring.metrics.hookErrorCounts()).toEqual(new Map());
  });
});

/** Labels the log's user turns with the production model (a queued job) and returns its result. */
async function labelLog(api: TestApi, dataset: number): Promise<{ labelled: number }> {
  const res = await api.app.inject({ method: 'POST', url: '/analytics/label', payload: { dataset } });
  expect(res.statusCode, res.body).toBe(202);
  for (;;) {
    const job = (await api.app.inject({ method: 'GET', url: res.json().status_url })).json();
    if (job.status === 'succeeded') return job.result;
    expect(['queued', 'running'], JSON.stringify(job)).toContain(job.status);
    await new Promise((r) => setTimeout(r, 50));
  }
}
