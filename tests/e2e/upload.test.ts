import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailability, launchBrowser, poll, resultsDir, startLabServer, type LabServer } from './support.js';

/** Uploading from the browser: pick a file, map its columns from the preview, ingest; bad files change nothing. */
const availability = browserAvailability();
if (!availability.run) console.warn(`upload e2e skipped: ${availability.reason}`);

describe.runIf(availability.run)('browser upload in Chromium', () => {
  let server: LabServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let files: string;

  beforeAll(async () => {
    server = await startLabServer();
    browser = await launchBrowser();
    page = await browser.context.newPage();
    files = path.join(server.dir, 'browser-files');
    mkdirSync(files, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('a CSV with its own column names is mapped from the preview and ingested', async () => {
    const rows = [
      'utterance,intent_name,channel',
      'where is my card,card_arrival,web',
      'my card has not arrived yet,card_arrival,app',
      'I want to top up my account,top_up,web',
      '"top up failed, why?",top_up,app',
    ];
    const file = path.join(files, 'support-log.csv');
    writeFileSync(file, rows.join('\n') + '\n');
    await page.goto(`${server.url}/#/datasets`);
    await page.getByTestId('upload-file').setInputFiles(file);
    const preview = page.getByTestId('upload-preview');
    await preview.waitFor();
    await poll(() => preview.textContent()).toContain('top up failed, why?');
    // Not the default names: nothing is detected for text and label until mapped.
    expect(await page.locator('select[name="map_text"]').inputValue()).toBe('');
    await page.locator('select[name="map_text"]').selectOption('utterance');
    await page.locator('select[name="map_label"]').selectOption('intent_name');
    await page.getByTestId('upload-submit').click();
    await poll(() => page.url()).toMatch(/#\/datasets\/\d+$/);
    mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: path.join(resultsDir, 'e2e-upload.png'), fullPage: true });

    const listed = await server.api('/datasets');
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0]).toMatchObject({ name: 'support-log', type: 'csv', example_count: 4, label_count: 2 });
  });

  it('a malformed file shows the API error and stores nothing', async () => {
    const file = path.join(files, 'broken.csv');
    writeFileSync(file, 'text,label\nhello,greet\nbye,\n');
    await page.goto(`${server.url}/#/datasets`);
    await page.getByTestId('upload-file').setInputFiles(file);
    await page.getByTestId('upload-preview').waitFor();
    await page.getByTestId('upload-submit').click();
    const alert = page.getByRole('alert');
    await alert.first().waitFor();
    await poll(() => alert.first().textContent()).toMatch(/label/i);
    const listed = await server.api('/datasets');
    expect(listed.body.items).toHaveLength(1);
  });
});
