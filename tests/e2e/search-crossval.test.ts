import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browserAvailability,
  E2E_INTENTS,
  launchBrowser,
  poll,
  resultsDir,
  startLabServer,
  writeBankingSubset,
  type LabServer,
} from './support.js';

/** The Search page starts a small grid and shows its leaderboard; the cross-validation view renders its folds. */
const availability = browserAvailability();
if (!availability.run) console.warn(`search/crossval e2e skipped: ${availability.reason}`);

describe.runIf(availability.run)('search and cross-validation pages in Chromium', () => {
  let server: LabServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let datasetId: number;

  const shot = async (name: string) => {
    mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: path.join(resultsDir, `e2e-${name}.png`), fullPage: true });
  };

  beforeAll(async () => {
    server = await startLabServer();
    writeBankingSubset(path.join(server.datasetDir, 'banking77-10'), E2E_INTENTS);
    const b = await server.api('/datasets/upload', {
      method: 'POST',
      body: { dataset_type: 'banking77', file_path: 'banking77-10' },
    });
    expect(b.status, JSON.stringify(b.body)).toBe(201);
    datasetId = b.body.dataset.id;
    browser = await launchBrowser();
    page = await browser.context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('starts a 3 × 2 grid from the form and shows its leaderboard and parameter chart', async () => {
    await page.goto(`${server.url}/#/search`);
    await poll(() => page.locator('select[name="search-dataset"] option').count()).toBe(1);
    await page.getByTestId('start-search').click();
    await page.getByTestId('live-run').waitFor();
    await poll(() => page.getByTestId('run-status').textContent(), { timeout: 300_000, interval: 500 }).toBe(
      'succeeded',
    );
    await page.getByTestId('open-search').click();
    const rows = page.getByTestId('leaderboard').locator('tbody tr');
    await poll(() => rows.count()).toBe(6);
    await page.getByTestId('search-scatter').locator('svg').waitFor();
    const searches = await server.api('/training/runs?tag=kind%3Dsearch');
    const best = searches.body.runs[0].metrics.best_score as number;
    await poll(() => page.getByTestId('best-score').textContent()).toContain(`${(best * 100).toFixed(1)}`);
    await shot('search');
  }, 300_000);

  it('shows a cross-validation: mean ± std, one row per fold, and its likely label errors', async () => {
    const started = await server.api('/training/crossval', {
      method: 'POST',
      body: { dataset_id: datasetId, model_type: 'tfidf-linear', folds: 3, async_run: true },
    });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const runId = started.body.run_id as number;
    await poll(async () => (await server.api(`/training/runs/${runId}`)).body.status, {
      timeout: 300_000,
      interval: 500,
    }).toBe('succeeded');
    const run = (await server.api(`/training/runs/${runId}`)).body;
    await page.goto(`${server.url}/#/crossval/${runId}`);
    await poll(() => page.getByTestId('cv-folds').locator('tbody tr').count()).toBe(3);
    await poll(() => page.getByTestId('cv-accuracy').textContent()).toContain(
      `${(run.metrics.accuracy_mean * 100).toFixed(1)}`,
    );
    if (run.metrics.likely_label_errors > 0) {
      await poll(() => page.getByTestId('cv-label-errors').locator('tbody tr').count()).toBeGreaterThan(0);
    }
    await shot('crossval');
  }, 300_000);
});
