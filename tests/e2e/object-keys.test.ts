import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OBJECT_KEY_LABELS, writeObjectKeyDataset, writeObjectKeyLog } from '../support/object-key-data.js';
import { browserAvailability, launchBrowser, poll, resultsDir, startLabServer, type LabServer } from './support.js';

/**
 * Issue 11 in Chromium: a dataset and a log whose labels are `__proto__`, `constructor`,
 * `toString` and `hasOwnProperty`, trained and labelled through the real server; every dashboard
 * page that draws or lists them renders them, without a page error and without anything written
 * onto the page's Object.prototype (ECharts keeps some caches in plain objects keyed by the text
 * it draws), and the server stays up throughout.
 */
const availability = browserAvailability();
if (!availability.run) console.warn(`object-key labels e2e skipped: ${availability.reason}`);
const LABELS = [...OBJECT_KEY_LABELS];

describe.runIf(availability.run)('labels that are object keys, in Chromium', () => {
  let server: LabServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let dataset: number;
  let log: number;
  let runA: number;
  let runB: number;
  const pageErrors: string[] = [];

  const visit = async (hash: string) => {
    await page.goto(`${server.url}/#${hash}`);
    await page.waitForLoadState('networkidle');
  };
  const prototypeNames = () => page.evaluate(() => Object.getOwnPropertyNames(Object.prototype).sort());
  const shot = async (name: string) => {
    mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: path.join(resultsDir, `e2e-object-keys-${name}.png`), fullPage: true });
  };
  const textOf = async (testId: string) => (await page.getByTestId(testId).textContent()) ?? '';
  const containsAll = async (testId: string) => {
    const text = await textOf(testId);
    return LABELS.every((l) => text.includes(l));
  };

  beforeAll(async () => {
    server = await startLabServer();
    writeObjectKeyDataset(path.join(server.datasetDir, 'object-keys'));
    writeObjectKeyLog(path.join(server.datasetDir, 'object-keys-log'));
    const d = await server.api('/datasets/upload', {
      method: 'POST',
      body: { dataset_type: 'banking77', file_path: 'object-keys', name: 'keys' },
    });
    expect(d.status, JSON.stringify(d.body)).toBe(201);
    dataset = d.body.dataset.id;
    const l = await server.api('/datasets/upload', {
      method: 'POST',
      body: { dataset_type: 'csv', file_path: 'object-keys-log/log.csv', name: 'log' },
    });
    expect(l.status, JSON.stringify(l.body)).toBe(201);
    log = l.body.dataset.id;
    const a = await server.api('/training/run', {
      method: 'POST',
      body: { dataset_id: dataset, model_type: 'tfidf-linear', alias: 'production' },
    });
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    runA = a.body.id;
    const b = await server.api('/training/run', {
      method: 'POST',
      body: { dataset_id: dataset, model_type: 'tfidf-linear', seed: 7 },
    });
    expect(b.status, JSON.stringify(b.body)).toBe(200);
    runB = b.body.id;
    await labelLog(server, log);

    browser = await launchBrowser();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('draws the dataset: label chart, validation and the example filter list every label', async () => {
    await visit('/');
    const clean = await prototypeNames();
    await visit(`/datasets/${dataset}`);
    await poll(() => page.getByTestId('label-chart').locator('svg').count()).toBe(1);
    await poll(() => containsAll('label-chart')).toBe(true);
    await poll(() => page.getByTestId('validation-table').locator('tbody tr').count()).toBeGreaterThan(0);
    const options = await page.locator('select[name=label] option').allTextContents();
    for (const l of LABELS) expect(options).toContain(l);
    await page.locator('select[name=label]').selectOption('__proto__');
    await poll(async () => {
      const cells = await page.getByTestId('examples-table').locator('tbody tr td:nth-child(3)').allTextContents();
      return cells.length > 0 && cells.every((t) => t === '__proto__');
    }).toBe(true);
    await shot('dataset');
    expect(await prototypeNames()).toEqual(clean);
    expect(pageErrors).toEqual([]);
  });

  it('draws a run: per-intent table, F1 chart and confusion heat map', async () => {
    await visit(`/runs/${runA}`);
    await poll(() => page.getByTestId('intent-table').locator('tbody tr').count()).toBe(LABELS.length);
    await poll(() => containsAll('intent-table')).toBe(true);
    await poll(() => page.getByTestId('confusion-heatmap').locator('svg').count()).toBe(1);
    await poll(() => containsAll('confusion-heatmap')).toBe(true);
    await shot('run');
    expect(pageErrors).toEqual([]);
  });

  it('compares the two runs with one F1 delta per label', async () => {
    await visit(`/experiments/compare?runs=${runA},${runB}`);
    await poll(() => page.getByTestId('intent-deltas').locator('tbody tr').count()).toBe(LABELS.length);
    await poll(() => containsAll('intent-deltas')).toBe(true);
    await shot('compare');
    expect(pageErrors).toEqual([]);
  });

  it('predicts in the playground and charts the top-k labels', async () => {
    await visit('/playground');
    await page.locator('textarea[name=text]').fill('please activate my new card');
    await page.locator('input[name=top_k]').fill('4');
    await page.getByRole('button', { name: 'Predict' }).click();
    await poll(() => page.getByTestId('predicted-intent').textContent()).toBe('__proto__');
    await poll(() => page.getByTestId('topk-chart').locator('svg').count()).toBe(1);
    await poll(() => containsAll('topk-chart')).toBe(true);
    await shot('playground');
    expect(pageErrors).toEqual([]);
  });

  it('explores the labelled log: intents, series, flows, fallback and sentiment by intent', async () => {
    const clean = await page.evaluate(() => Object.getOwnPropertyNames(Object.prototype).length);
    await visit(`/conversations?dataset=${log}`);
    await poll(() => containsAll('intent-bars')).toBe(true);
    await poll(() => page.getByTestId('intent-series').locator('svg').count()).toBe(1);
    await poll(() => containsAll('intent-series')).toBe(true);
    await poll(() => page.getByTestId('flow-sankey').locator('svg').count()).toBe(1);
    expect(await textOf('flow-sankey')).toMatch(/__proto__|constructor|toString|hasOwnProperty/);
    // The chart is drawn when some intent has fallbacks (the calibrated model may be sure of all of them).
    const fallback = (await server.api(`/analytics/fallback?dataset=${log}`)).body as {
      by_intent: Array<{ fallback: number }>;
    };
    const withFallbacks = fallback.by_intent.some((r) => r.fallback > 0) ? 1 : 0;
    await poll(() => page.getByTestId('fallback-by-intent').locator('svg').count()).toBe(withFallbacks);
    await poll(() => page.getByTestId('conversations-table').locator('tbody tr').count()).toBeGreaterThan(0);
    await shot('conversations');
    expect(await page.evaluate(() => Object.getOwnPropertyNames(Object.prototype).length)).toBe(clean);
    expect(pageErrors).toEqual([]);
  });

  it('leaves the server up and its Object.prototype-dependent parts working', async () => {
    for (const hash of ['/', '/datasets', '/experiments', '/models', '/monitoring']) {
      await visit(hash);
      await page.waitForLoadState('networkidle');
    }
    expect(pageErrors).toEqual([]);
    expect((await server.api('/health/live')).status).toBe(200);
    expect((await server.api('/metrics')).status).toBe(200);
    expect((await server.api(`/reports/runs/${runA}.pdf`)).status).toBe(200);
    expect((await server.api(`/reports/datasets/${log}.pdf`)).status).toBe(200);
    expect((await server.api('/health/live')).status).toBe(200);
    expect(server.logs()).not.toMatch(/uncaught|request metrics hook failed/i);
  }, 120_000);
});

/** Labels the log's user turns with the production model (a queued job) and waits for it. */
async function labelLog(server: LabServer, dataset: number): Promise<void> {
  const res = await server.api('/analytics/label', { method: 'POST', body: { dataset } });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const job = (await server.api(res.body.status_url)).body;
    if (job.status === 'succeeded') return;
    expect(['queued', 'running'], JSON.stringify(job)).toContain(job.status);
    expect(Date.now() < deadline, 'labelling did not finish in 120 s').toBe(true);
    await new Promise((r) => setTimeout(r, 200));
  }
}
