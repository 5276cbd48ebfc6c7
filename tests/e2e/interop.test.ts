import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures } from '../datasets/interop-helpers.js';
import { browserAvailability, launchBrowser, poll, resultsDir, startLabServer, type LabServer } from './support.js';

/**
 * The dashboard's ingest form and Export menu on a bot-platform export, in Chromium against the
 * built server: what downloads is byte for byte what the API exports.
 */
const availability = browserAvailability();
if (!availability.run) console.warn(`interop e2e skipped: ${availability.reason}`);

describe.runIf(availability.run)('bot platform formats in the dashboard', () => {
  let server: LabServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startLabServer();
    cpSync(path.join(fixtures, 'lex'), path.join(server.datasetDir, 'hotel-bot'), { recursive: true });
    browser = await launchBrowser();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('ingests a Lex export from the form (with its locale) and exports it from the Export menu', async () => {
    await page.goto(`${server.url}/#/datasets`);
    await page.waitForLoadState('networkidle');
    const form = page.getByRole('form', { name: 'Ingest a dataset' });
    await form.locator('select[name="dataset_type"]').selectOption('lex');
    await form.locator('input[name="file_path"]').fill('hotel-bot');
    await form.locator('input[name="name"]').fill('hotel');
    await form.locator('input[name="language"]').fill('en_US');
    await form.getByRole('button', { name: 'Ingest dataset' }).click();
    await poll(() => page.getByTestId('dataset-examples').locator('.stat-value').textContent()).toBe('6');
    const dataset = (await server.api('/datasets/hotel')).body;
    expect(dataset).toMatchObject({ type: 'lex', example_count: 6 });

    for (const [format, label, filename] of [
      ['dialogflow', 'Dialogflow ES agent (zip)', 'hotel-v1-dialogflow.zip'],
      ['rasa', 'Rasa NLU (YAML)', 'hotel-v1-rasa.yml'],
    ] as const) {
      await page.getByLabel('Export format').selectOption({ label });
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export', exact: true }).click(),
      ]);
      expect(download.suggestedFilename()).toBe(filename);
      const fromApi = await fetch(`${server.url}/datasets/${dataset.id}/export?format=${format}`);
      expect(readFileSync((await download.path())!).equals(Buffer.from(await fromApi.arrayBuffer()))).toBe(true);
    }
    mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: path.join(resultsDir, 'e2e-dataset-export.png') });
    expect(pageErrors).toEqual([]);
  });
});
