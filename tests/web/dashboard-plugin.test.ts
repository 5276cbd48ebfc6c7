import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardRoot } from '../../src/api/plugins/dashboard.js';
import { createTestApi, type TestApi } from '../support/api.js';

// The dashboard is built by `npm run build` (pretest). Without a build the plugin answers 503 with
// instructions instead, which is tested separately below.
const built = existsSync(path.join(dashboardRoot(), 'index.html'));

describe('dashboard plugin', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi('sqlite');
  });
  afterAll(async () => api?.close());

  it.runIf(built)('serves the app shell at / with no inline script', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('<div id="root">');
    // The CSP allows no inline scripts: every <script> must load a file.
    const scripts = [...res.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/src="\/assets\//);
      expect(body!.trim()).toBe('');
    }
  });

  it.runIf(built)('serves hashed assets with long caching', async () => {
    const index = await api.app.inject({ method: 'GET', url: '/' });
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(index.body)?.[1];
    expect(asset).toBeDefined();
    const res = await api.app.inject({ method: 'GET', url: asset! });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(String(res.headers['cache-control'])).toMatch(/immutable/);
  });

  it.runIf(built)('falls back to the app for unknown browser paths', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/some/page', headers: { accept: 'text/html,*/*' } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<div id="root">');
  });

  it('keeps API 404s JSON', async () => {
    for (const accept of ['application/json', '*/*']) {
      const res = await api.app.inject({ method: 'GET', url: '/no-such-api', headers: { accept } });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('NOT_FOUND');
    }
    const missingAsset = await api.app.inject({
      method: 'GET',
      url: '/assets/nope.js',
      headers: { accept: 'text/html' },
    });
    expect(missingAsset.statusCode).toBe(404);
    expect(missingAsset.json().error.code).toBe('NOT_FOUND');
    const post = await api.app.inject({ method: 'POST', url: '/some/page', headers: { accept: 'text/html' } });
    expect(post.statusCode).toBe(404);
  });

  it('does not escape the dashboard folder', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/..%2f..%2fpackage.json', headers: { accept: '*/*' } });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('"name": "chatbot-analytics-lab"');
  });

  it('hides its routes from the OpenAPI document', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/docs/json' });
    const paths = Object.keys(res.json().paths ?? {});
    expect(paths).not.toContain('/');
    expect(paths).not.toContain('/*');
  });
});
