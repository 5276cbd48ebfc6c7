import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { browserAvailability, launchBrowser, poll, resultsDir, startLabServer, type LabServer } from './support.js';

/** With CHATLAB_AUTH=required the dashboard asks for a key on the first 401 and then uses it. */
const availability = browserAvailability();
if (!availability.run) console.warn(`dashboard auth e2e skipped: ${availability.reason}`);

describe.runIf(availability.run)('dashboard with API keys required', () => {
  let server: LabServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;

  beforeAll(async () => {
    server = await startLabServer({ CHATLAB_AUTH: 'required' });
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('asks for a key after a 401, stores it and sends it as a Bearer token', async () => {
    expect((await server.api('/datasets')).status).toBe(401);
    const created = runCli(['keys', 'create', '--role', 'viewer', '--name', 'e2e', '--json'], {
      cwd: server.dir,
      env: server.env,
    });
    expect(created.status, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout).key as string;

    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    // The static app itself needs no key; its first API call does.
    await page.goto(`${server.url}/#/datasets`);
    const dialog = page.getByRole('dialog', { name: 'API key required' });
    await poll(() => dialog.count()).toBe(1);
    mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: path.join(resultsDir, 'e2e-api-key-dialog.png') });

    const sent: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/datasets')) sent.push(request.headers().authorization ?? '');
    });
    await dialog.locator('input[name=api-key]').fill(key);
    await dialog.getByRole('button', { name: 'Save key' }).click();
    await poll(() => page.getByTestId('empty-state').first().textContent()).toContain('No datasets yet');
    expect(sent).toContain(`Bearer ${key}`);
    expect(await page.evaluate(() => localStorage.getItem('chatlab.apiKey'))).toBe(key);
  });
});
