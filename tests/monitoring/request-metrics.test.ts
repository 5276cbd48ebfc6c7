import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf, bucketUpperMs, LatencyHistogram } from '../../src/monitoring/latency.js';
import { RequestMetrics } from '../../src/monitoring/request-metrics.js';
import { requestHistory, sampleRequestMinutes } from '../../src/monitoring/sampler.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('latency histogram', () => {
  it('percentiles land within one bucket (10 %) of the exact value', () => {
    const h = new LatencyHistogram();
    const values = Array.from({ length: 1000 }, (_, i) => (i + 1) * 0.5); // 0.5 .. 500 ms
    for (const v of values) h.add(v);
    for (const [q, exact] of [
      [0.5, 250],
      [0.95, 475],
      [0.99, 495],
    ] as const) {
      const p = h.percentile(q)!;
      expect(p).toBeGreaterThanOrEqual(exact);
      expect(p).toBeLessThanOrEqual(exact * 1.1 + 0.01);
    }
    expect(new LatencyHistogram().percentile(0.5)).toBeNull();
    expect(bucketUpperMs(bucketOf(10))).toBeGreaterThanOrEqual(10);
  });
});

describe('request metrics windows', () => {
  it('separates the 5-minute, 1-hour and 24-hour windows and counts 5xx as errors', () => {
    let now = T0;
    const m = new RequestMetrics(() => now, { defaultMetrics: false });
    const add = (at: number, status: number, ms: number) =>
      m.record({ method: 'GET', route: '/datasets/:id', statusCode: status, durationMs: ms }, at);
    for (let i = 0; i < 10; i++) add(T0 - 2 * 3600_000, 200, 10); // 2 h ago
    for (let i = 0; i < 20; i++) add(T0 - 30 * 60_000, 500, 100); // 30 min ago
    for (let i = 0; i < 30; i++) add(T0 - 60_000, i < 3 ? 404 : 200, 20); // 1 min ago
    now = T0;
    const r5 = m.summary('5m').routes[0]!;
    expect(r5).toMatchObject({ route: 'GET /datasets/:id', requests: 30, errors: 0, error_rate: 0 });
    expect(r5.rate_per_s).toBeCloseTo(30 / 300, 3);
    const h1 = m.summary('1h').total;
    expect(h1).toMatchObject({ requests: 50, errors: 20, error_rate: 0.4 });
    expect(h1.p95_ms).toBeGreaterThanOrEqual(100);
    expect(m.summary('24h').total.requests).toBe(60);
  });

  it('hands out each completed minute once, keeping the current minute back', () => {
    let now = T0 + 30_000;
    const m = new RequestMetrics(() => now, { defaultMetrics: false });
    m.record({ method: 'GET', route: '/a', statusCode: 200, durationMs: 5 });
    expect(m.takeCompletedMinutes()).toEqual([]);
    now = T0 + 61_000;
    m.record({ method: 'POST', route: '/b', statusCode: 503, durationMs: 50 });
    const rows = m.takeCompletedMinutes();
    expect(rows).toEqual([
      {
        ts: T0,
        route: 'GET /a',
        requests: 1,
        errors: 0,
        p50_ms: expect.any(Number),
        p95_ms: expect.any(Number),
        p99_ms: expect.any(Number),
      },
    ]);
    expect(m.takeCompletedMinutes()).toEqual([]);
    now = T0 + 125_000;
    expect(m.takeCompletedMinutes().map((r) => [r.route, r.errors])).toEqual([['POST /b', 1]]);
  });
});

describeEachDialect('request sampling', (dialect) => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await createTestLab(dialect);
  });
  afterAll(async () => lab?.cleanup());

  it('stores per-minute rows that the history query returns', async () => {
    let now = T0;
    const m = new RequestMetrics(() => now, { defaultMetrics: false });
    for (let i = 0; i < 5; i++) m.record({ method: 'GET', route: '/x', statusCode: 200, durationMs: 3 });
    now = T0 + 60_000;
    for (let i = 0; i < 2; i++) m.record({ method: 'GET', route: '/x', statusCode: 500, durationMs: 30 });
    now = T0 + 120_000;
    expect(await sampleRequestMinutes(lab.db, m, now)).toBe(2);
    expect(await sampleRequestMinutes(lab.db, m, now)).toBe(0);
    const history = await requestHistory(lab.db, T0 - 1);
    expect(history.map((h) => [h.ts - T0, h.requests, h.errors])).toEqual([
      [0, 5, 0],
      [60_000, 2, 2],
    ]);
  });
});
