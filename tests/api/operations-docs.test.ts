/** Swagger UI at /docs really renders in a browser under the lab's Content-Security-Policy. */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { expect, it, describe } from 'vitest';
import { createTestApi } from '../support/api.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe.skipIf(!existsSync(CHROMIUM))('Swagger UI under the CSP', () => {
  it('renders the API title with no CSP violation', async () => {
    const api = await createTestApi('sqlite');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const url = await api.app.listen({ host: '127.0.0.1', port: 0 });
      const page = await browser.newPage();
      const violations: string[] = [];
      page.on('console', (msg) => {
        if (/Content Security Policy|Refused to/i.test(msg.text())) violations.push(msg.text());
      });
      const response = await page.goto(`${url}/docs/`);
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
      await page.waitForSelector('.swagger-ui .info .title', { timeout: 30_000 });
      expect(await page.textContent('.swagger-ui .info .title')).toContain('Chatbot Analytics Lab API');
      await page.waitForSelector('.opblock-tag-section', { timeout: 30_000 }); // the operations rendered
      // (playwright gives the browser a fresh temporary profile of its own)
      expect(violations).toEqual([]);
    } finally {
      await browser.close();
      await api.close();
    }
  }, 90_000);
});
