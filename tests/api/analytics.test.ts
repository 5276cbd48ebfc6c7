import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { labelTurns } from '../../src/analytics/label.js';
import { ingestCraftedLog, stubPredictor } from '../analytics/fixtures.js';
import { createTestApi, type TestApi } from '../support/api.js';
import { describeEachDialect } from '../support/databases.js';

describeEachDialect('analytics API', (dialect) => {
  let api: TestApi;
  let dataset: number;
  beforeAll(async () => {
    api = await createTestApi(dialect);
    dataset = await ingestCraftedLog(api.lab, api.lab.dir);
    await labelTurns(api.lab, { datasetId: dataset }, { predictor: stubPredictor });
  });
  afterAll(async () => api.close());

  const get = (url: string) => api.app.inject({ method: 'GET', url });

  it('answers all six analytics as JSON with the filters applied', async () => {
    for (const kind of ['overview', 'intents', 'flows', 'fallback', 'sessions', 'sentiment']) {
      const res = await get(`/analytics/${kind}?dataset=${dataset}&granularity=month`);
      expect(res.statusCode, `${kind}: ${res.body}`).toBe(200);
      expect(res.json().filters).toMatchObject({ dataset, granularity: 'month' });
    }
    const fb = (await get(`/analytics/fallback?dataset=${dataset}&threshold=0.35`)).json();
    expect(fb).toMatchObject({ turns: 10, fallback: 4, share: 0.4 });
    const ranged = (await get(`/analytics/overview?dataset=${dataset}&from=2025-01-07&to=2025-02-05`)).json();
    expect(ranged.conversations).toBe(2);
  });

  it('downloads CSV: one table of the answer, RFC 4180, formula cells neutralised', async () => {
    const res = await get(`/analytics/intents?dataset=${dataset}&format=csv`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toContain(`intents-intents-dataset-${dataset}.csv`);
    const rows = parse(res.body, { columns: true }) as Array<{ intent: string; count: string }>;
    expect(rows.find((r) => r.intent === 'check_balance')?.count).toBe('2');
    const links = await get(`/analytics/flows?dataset=${dataset}&format=csv&table=links`);
    expect(links.body.split('\r\n')[0]).toBe('source,target,count');
    const lowest = await get(`/analytics/fallback?dataset=${dataset}&format=csv&table=lowest_confidence`);
    expect(parse(lowest.body, { columns: true })[0]).toMatchObject({ conversation: 'D', confidence: '0.1' });
  });

  it('answers 400 naming the field, 404 for an unknown dataset', async () => {
    const bad = await get(`/analytics/intents?dataset=${dataset}&granularity=year`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].field).toBe('querystring.granularity');
    const from = await get(`/analytics/intents?from=yesterday`);
    expect(from.statusCode).toBe(400);
    expect(from.json().error.details[0]).toMatchObject({ field: 'querystring.from' });
    const table = await get(`/analytics/flows?format=csv&table=nope`);
    expect(table.statusCode).toBe(400);
    expect(table.json().error.details[0].field).toBe('querystring.table');
    const extra = await get(`/analytics/flows?bogus=1`);
    expect(extra.statusCode).toBe(400);
    const missing = await get('/analytics/overview?dataset=999');
    expect(missing.statusCode).toBe(404);
    const label = await api.app.inject({ method: 'POST', url: '/analytics/label', payload: {} });
    expect(label.statusCode).toBe(400);
    expect(label.json().error.details[0].field).toBe('body.dataset');
    const label404 = await api.app.inject({ method: 'POST', url: '/analytics/label', payload: { dataset: 999 } });
    expect(label404.statusCode).toBe(404);
  });

  it('lists the routes in the OpenAPI document', async () => {
    const doc = (await get('/docs/json')).json();
    for (const p of [
      '/analytics/overview',
      '/analytics/flows',
      '/analytics/label',
      '/reports/datasets/{id}.pdf',
      '/reports/runs/{id}.pdf',
    ]) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
  });
});
