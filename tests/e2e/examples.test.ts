import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailability, launchBrowser, poll, resultsDir, startLabServer, type LabServer } from './support.js';

/** A newcomer's first click: the Overview of an empty lab loads the example workspace with live progress. */
const availability = browserAvailability();
if (!availability.run) console.warn(`example workspace e2e skipped: ${availability.reason}`);

describe.runIf(availability.run)('example workspace in Chromium', () => {
  let server: LabServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;

  beforeAll(async () => {
    server = await startLabServer();
    browser = await launchBrowser();
    page = await browser.context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('the Load example workspace button reaches a trained model and a populated Conversations page', async () => {
    await page.goto(`${server.url}/#/`);
    const button = page.getByTestId('load-examples');
    await button.waitFor({ timeout: 30_000 });
    await button.click();
    await page.getByTestId('examples-loaded').waitFor({ timeout: 60_000 });
    await page.getByTestId('live-run').waitFor({ timeout: 30_000 });
    await poll(() => page.getByTestId('run-status').textContent(), { timeout: 300_000, interval: 500 }).toBe(
      'succeeded',
    );
    mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: path.join(resultsDir, 'e2e-example-workspace.png'), fullPage: true });

    const models = await server.api('/models');
    expect(JSON.stringify(models.body)).toContain('production');
    const predicted = await server.api('/intents/predict', {
      method: 'POST',
      body: { text: 'I still have not received my new card' },
    });
    expect(predicted.status, JSON.stringify(predicted.body)).toBe(200);
    expect(JSON.stringify(predicted.body)).toContain('card_arrival');

    await page.getByTestId('examples-loaded').getByRole('link', { name: 'conversations' }).click();
    await poll(() => page.locator('body').textContent(), { timeout: 60_000 }).toContain('sgd-example');
    await page.screenshot({ path: path.join(resultsDir, 'e2e-example-conversations.png'), fullPage: true });

    // A second load changes nothing: same datasets, no second training run.
    const again = await server.api('/examples/load', { method: 'POST' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ training: null, datasets: { created: false } });
    const runs = await server.api('/training/runs');
    expect(runs.body.runs).toHaveLength(1);
  }, 600_000);
});
