import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApi, type TestApi } from '../support/api.js';
import { describeEachDialect } from '../support/databases.js';

/** Issue 11: an exception in the request-metrics hooks is logged and counted, never fatal. */
describeEachDialect('request hooks that throw', (dialect) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi(dialect);
  });
  afterAll(async () => api?.close());

  it('answers, keeps answering, and counts the errors by hook', async () => {
    const metrics = api.app.monitoring.metrics;
    const finished = metrics.finished.bind(metrics);
    metrics.finished = () => {
      throw new Error('metrics broke');
    };
    try {
      for (let i = 0; i < 3; i++) {
        const res = await api.app.inject({ method: 'GET', url: '/health/live' });
        expect(res.statusCode).toBe(200);
      }
    } finally {
      metrics.finished = finished;
    }
    expect(await metrics.hookErrorCounts()).toEqual(new Map([['onResponse', 3]]));
    const text = (await api.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/chatlab_hook_errors_total\{hook="onResponse"\} 3/);
  });
});
