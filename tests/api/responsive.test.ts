import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestDataset } from '../../src/datasets/ingest.js';
import { getTrainer } from '../../src/nlp/registry.js';
import { checkSearchSize, gridSize } from '../../src/training/search-size.js';
import { createTestApi, type TestApi } from '../support/api.js';
import { describeEachDialect } from '../support/databases.js';
import { banking77Dir, seedBanking77 } from '../training/support.js';

/**
 * Issue 11 §4: the API keeps answering while heavy work runs. Each check is observable, with no
 * timing threshold: other requests are answered while the heavy one is still in flight.
 */
const bankingTexts = (
  parse(readFileSync(path.join(banking77Dir, 'train.csv')), { columns: true }) as Array<{
    text: string;
  }>
).map((r) => r.text);

/** `n` texts of exactly `chars` characters made of real sentences. */
function longTexts(n: number, chars: number): string[] {
  return Array.from({ length: n }, (_, i) => {
    let text = '';
    for (let j = i; text.length < chars; j += 7) text += `${bankingTexts[j % bankingTexts.length]} `;
    return text.slice(0, chars);
  });
}

describeEachDialect('a responsive API', (dialect) => {
  let api: TestApi;
  beforeAll(async () => {
    // The test polls the job as fast as the loop allows: lift the per-minute limit so it measures progress, not 429s.
    api = await createTestApi(dialect, { RATE_LIMIT_PER_MINUTE: '1000000' });
    const dataset = await seedBanking77(api.lab, { trainPerIntent: 30, testPerIntent: 5 });
    const run = await api.app.inject({
      method: 'POST',
      url: '/training/run',
      payload: { dataset_id: dataset, model_type: 'tfidf-linear', alias: 'production' },
    });
    expect(run.statusCode, run.body).toBe(200);
  }, 120_000);
  afterAll(async () => api?.close());

  const health = () => api.app.inject({ method: 'GET', url: '/health/live' });

  // bench/load sends the maximal request (1,000 x 10,000 characters); a fifth of it keeps this
  // test affordable on a shared machine while still taking many chunks.
  it('answers /health/live while a large /intents/predict (1,000 texts, top_k 100) is in flight', async () => {
    // Load the model first, so the heavy request spends its time predicting.
    await api.app.inject({ method: 'POST', url: '/intents/predict', payload: { text: 'warm up' } });
    let heavyDone = false;
    const heavy = api.app
      .inject({
        method: 'POST',
        url: '/intents/predict',
        payload: { texts: longTexts(1000, 2_000), top_k: 100 },
      })
      .finally(() => {
        heavyDone = true;
      });
    let answeredDuring = 0;
    while (!heavyDone) {
      const res = await health();
      expect(res.statusCode).toBe(200);
      if (!heavyDone) answeredDuring++;
      // An injected request completes in microtasks: give the event loop a turn between probes,
      // as network I/O would.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const answer = await heavy;
    expect(answer.statusCode, answer.body.slice(0, 300)).toBe(200);
    expect(answer.json().predictions).toHaveLength(1000);
    expect(answer.json().predictions[0].top).toHaveLength(10);
    // Blocking work would let at most the few requests queued before it through.
    expect(answeredDuring).toBeGreaterThanOrEqual(10);
  }, 180_000);

  it('labels as a queued job with progress, and answers other requests while it runs', async () => {
    const file = path.join(api.lab.dir, 'big-log.jsonl');
    const lines: string[] = [];
    for (let c = 0; c < 2000; c++) {
      for (let t = 0; t < 2; t++) {
        lines.push(
          JSON.stringify({ conversation_id: `c${c}`, speaker: 'user', text: bankingTexts[(c * 2 + t) % 5000] }),
        );
      }
    }
    writeFileSync(file, lines.join('\n'));
    const { dataset } = await ingestDataset(api.lab, { type: 'jsonl', path: file, name: 'big-log' });

    const queued = await api.app.inject({
      method: 'POST',
      url: '/analytics/label',
      payload: { dataset: dataset.id, batch_size: 50 },
    });
    expect(queued.statusCode, queued.body).toBe(202);
    expect(queued.json()).toMatchObject({ status: 'queued', dataset: dataset.id, progress: null, result: null });
    const statusUrl = queued.json().status_url;

    const progressSeen = new Set<number>();
    let answeredWhileRunning = 0;
    let job = queued.json();
    while (job.status === 'queued' || job.status === 'running') {
      if (job.status === 'running' && job.progress && job.progress.done < job.progress.total) {
        progressSeen.add(job.progress.done);
        expect((await health()).statusCode).toBe(200);
        answeredWhileRunning++;
      }
      job = (await api.app.inject({ method: 'GET', url: statusUrl })).json();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(job.status, JSON.stringify(job)).toBe('succeeded');
    expect(job.result).toMatchObject({ dataset: dataset.id, labelled: 4000, predicted_total: 4000 });
    expect(job.progress).toEqual({ done: 4000, total: 4000 });
    expect(answeredWhileRunning).toBeGreaterThan(0);
    expect(progressSeen.size).toBeGreaterThan(1);

    expect((await api.app.inject({ method: 'GET', url: '/analytics/label/999999' })).statusCode).toBe(404);
    const noModel = await api.app.inject({
      method: 'POST',
      url: '/analytics/label',
      payload: { dataset: dataset.id, model: 'nope' },
    });
    expect(noModel.statusCode).toBe(404);
  }, 180_000);

  it('counts a grid before expanding it: millions of combinations are refused at once', async () => {
    const names = Object.keys(getTrainer('tfidf-linear').paramSpec);
    expect(names.length).toBeGreaterThanOrEqual(4);
    const space = Object.fromEntries(names.map((n) => [n, Array.from({ length: 40 }, (_, i) => i + 1)]));
    const res = await api.app.inject({
      method: 'POST',
      url: '/training/hyperparameter-search',
      payload: { dataset_id: 1, model_type: 'tfidf-linear', space },
    });
    expect(res.statusCode, res.body).toBe(400);
    const detail = res.json().error.details.find((d: { field: string }) => d.field === 'space');
    expect(detail.problem).toContain(`the grid has ${40 ** names.length} combinations`);
    expect(detail.problem).toContain('at most 100 (MAX_SEARCH_TRIALS)');
    expect((await health()).statusCode).toBe(200);
  });
});

describe('search size (MAX_SEARCH_TRIALS)', () => {
  it('is the product of the value counts, computed without expanding', () => {
    expect(gridSize({ a: [1, 2], b: [1, 2, 3], c: { min: 0, max: 1 } })).toBe(6);
    const huge = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`p${i}`, new Array(1000).fill(0)]));
    expect(gridSize(huge)).toBe(1e36);
    expect(() => checkSearchSize(huge, 'grid', undefined, 100)).toThrow(/more than 9007199254740991 combinations/);
  });

  it('refuses a grid or a trial count over the limit, accepts one at it', () => {
    expect(() => checkSearchSize({ a: [1, 2], b: [1, 2, 3] }, 'grid', undefined, 5)).toThrow(/6 combinations/);
    expect(() => checkSearchSize({ a: [1, 2], b: [1, 2] }, 'grid', undefined, 4)).not.toThrow();
    expect(() => checkSearchSize({ a: { min: 0, max: 1 } }, 'random', 5, 4)).toThrow(/trials must be an integer/);
    expect(() => checkSearchSize({ a: [1, 2, 3, 4, 5, 6] }, 'random', 4, 4)).not.toThrow();
  });

  it('reads the limit from MAX_SEARCH_TRIALS', async () => {
    const api = await createTestApi('sqlite', { MAX_SEARCH_TRIALS: '3' });
    try {
      const res = await api.app.inject({
        method: 'POST',
        url: '/training/hyperparameter-search',
        payload: { dataset_id: 1, model_type: 'tfidf-linear', space: { learning_rate: [0.01, 0.1], l2: [0, 1e-4] } },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details[0].problem).toContain('the grid has 4 combinations');
    } finally {
      await api.close();
    }
  });
});
