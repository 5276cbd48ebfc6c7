import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { openLab } from '../../src/lab/context.js';
import { seedCraftedLog } from '../discovery/fixtures.js';
import { browserAvailability, launchBrowser, poll, resultsDir, startLabServer, type LabServer } from './support.js';

/**
 * The Discovery page in Chromium against the real built server: start a run on a log whose turns
 * carry predictions, watch it finish, read the clusters, accept one as a new intent.
 */
const availability = browserAvailability();
if (!availability.run) console.warn(`discovery e2e skipped: ${availability.reason}`);

describe.runIf(availability.run)('Discovery page in Chromium', () => {
  let server: LabServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let logId: number;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startLabServer();
    // The crafted log, written into the server's database through the domain functions.
    const lab = await openLab(loadSettings({ cwd: server.dir, env: { ...server.env, LOG_LEVEL: 'silent' } }));
    try {
      logId = await seedCraftedLog(lab, server.dir, true);
    } finally {
      await lab.db.close();
    }
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('runs discovery, shows the clusters and accepts one as a new intent', async () => {
    await page.goto(`${server.url}/#/discovery?dataset=${logId}`);
    await page.getByRole('button', { name: 'Discover intents' }).click();
    await poll(() => page.getByTestId('discovery-cluster').count(), { timeout: 120_000 }).toBe(3);
    await poll(() => page.getByTestId('discovery-run-status').textContent()).toContain('24 turns, 3 clusters');

    const crypto = page.getByTestId('discovery-cluster').filter({ hasText: 'bitcoin' });
    await expect(crypto.getByTestId('cluster-examples').locator('li').count()).resolves.toBe(8);
    await expect(crypto.textContent()).resolves.toContain('card_arrival');
    await crypto.getByRole('textbox', { name: 'New intent' }).fill('buy_crypto');
    mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: path.join(resultsDir, 'e2e-discovery-clusters.png'), fullPage: true });
    await crypto.getByRole('button', { name: 'Accept' }).click();
    await poll(() => crypto.getByTestId('cluster-status').textContent()).toBe('accepted as buy_crypto by api');
    await page.screenshot({ path: path.join(resultsDir, 'e2e-discovery-accepted.png'), fullPage: true });

    // What the page shows is what the API stored.
    const runId = Number(new URL(page.url().replace('/#/', '/')).searchParams.get('run'));
    const run = await server.api(`/discovery/runs/${runId}`);
    const accepted = run.body.clusters.filter((c: { status: string }) => c.status === 'accepted');
    expect(accepted).toHaveLength(1);
    expect(accepted[0]).toMatchObject({ intent: 'buy_crypto', decided_by: 'api', size: 8 });
    expect(pageErrors).toEqual([]);
  }, 240_000);
});
