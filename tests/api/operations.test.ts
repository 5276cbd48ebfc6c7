import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type LabApp } from '../../src/api/app.js';
import { isPublicRoute, requiredRole } from '../../src/security/access.js';
import { createApiKey, roleAtLeast, type Role } from '../../src/security/keys.js';
import { createTestApi, type TestApi } from '../support/api.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';

/** The value of one Prometheus sample line, e.g. `name{a="b"} 3`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inside = line.slice(name.length + 1, line.indexOf('}'));
    const parts = inside.split(',');
    if (want.every((w) => parts.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describeEachDialect('operations: request metrics', (dialect) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi(dialect);
  });
  afterAll(async () => api?.close());

  it('counts requests per route pattern in the histogram, with 404s under one label', async () => {
    const N = 7;
    for (let i = 0; i < N; i++) expect((await api.app.inject({ url: '/health/live' })).statusCode).toBe(200);
    for (const id of [101, 102, 103]) {
      expect((await api.app.inject({ method: 'DELETE', url: `/keys/${id}` })).statusCode).toBe(404);
    }
    await api.app.inject({ url: '/no/such/page/42' });
    const res = await api.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    const text = res.body;
    const count = (route: string, method: string, status: string) =>
      sample(text, 'http_request_duration_seconds_count', { method, route, status_code: status });
    expect(count('/health/live', 'GET', '200')).toBe(N);
    expect(count('/keys/:id', 'DELETE', '404')).toBe(3);
    expect(sample(text, 'http_requests_total', { method: 'DELETE', route: '/keys/:id', status_code: '404' })).toBe(3);
    expect(count('(unmatched)', 'GET', '404')).toBe(1);
    expect(text).not.toContain('route="/keys/101"');
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toContain('http_requests_in_flight');
  });

  it('summarises rate, errors and percentiles per route for a window', async () => {
    const res = await api.app.inject({ url: '/monitoring/requests?window=1h' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const live = body.routes.find((r: { route: string }) => r.route === 'GET /health/live');
    expect(live).toMatchObject({ requests: 7, errors: 0, error_rate: 0 });
    expect(live.p50_ms).toBeGreaterThan(0);
    expect(live.p99_ms).toBeGreaterThanOrEqual(live.p50_ms);
    const bad = await api.app.inject({ url: '/monitoring/requests?window=2d' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].field).toBe('querystring.window');
  });

  it('reports system probes', async () => {
    const body = (await api.app.inject({ url: '/monitoring/system' })).json();
    expect(body.memory.rss_bytes).toBeGreaterThan(0);
    expect(body.disk.free_bytes).toBeGreaterThan(0);
    expect(body.database).toMatchObject({ dialect, ok: true });
    expect(body.cpu.cores).toBeGreaterThan(0);
  });
});

const KEY_ROLES: Role[] = ['viewer', 'editor', 'admin'];

describeEachDialect('operations: authentication over every documented route', (dialect) => {
  let lab: TestLab;
  let app: LabApp;
  const keys = {} as Record<Role, string>;
  beforeAll(async () => {
    lab = await createTestLab(dialect, { CHATLAB_AUTH: 'required', RATE_LIMIT_PER_MINUTE: '100000' });
    app = await buildApp(lab);
    await app.ready();
    for (const role of KEY_ROLES) keys[role] = (await createApiKey(lab, { role, name: role })).key;
  });
  afterAll(async () => {
    await app?.close();
    await lab?.cleanup();
  });

  it('every route in the OpenAPI document refuses a missing or invalid key (401) and a weaker role (403)', async () => {
    // Read at test time, so routes added later by anyone are covered too.
    const doc = (await app.inject({ url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, { description?: string }>>;
    };
    const operations = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), openapiPath: p, op })),
    );
    expect(operations.length).toBeGreaterThan(10);
    let checked = 0;
    for (const { method, openapiPath, op } of operations) {
      const url = openapiPath.replace(/\{[^}]+\}/g, '999999'); // no such entity: nothing is changed
      const fastifyUrl = openapiPath.replace(/\{([^}]+)\}/g, ':$1');
      const label = `${method} ${openapiPath}`;
      if (isPublicRoute(fastifyUrl, method)) {
        expect(
          ['/health/', '/docs'].some((p) => openapiPath.startsWith(p)),
          `${label} must not be public`,
        ).toBe(true);
        continue;
      }
      // The role the route documents can only be stronger than what its method implies.
      const documented = /Needs an? (viewer|editor|admin) API key/.exec(op.description ?? '')?.[1] as Role | undefined;
      expect(documented, `${label} documents its role`).toBeDefined();
      const need = requiredRole(method, documented);
      expect(roleAtLeast(need, requiredRole(method)), label).toBe(true);

      const none = await app.inject({ method: method as 'GET', url });
      expect(none.statusCode, `${label} without a key`).toBe(401);
      expect(none.json().error.code).toBe('UNAUTHORIZED');
      const forged = await app.inject({
        method: method as 'GET',
        url,
        headers: { authorization: 'Bearer clk_forged' },
      });
      expect(forged.statusCode, `${label} with an unknown key`).toBe(401);
      for (const role of KEY_ROLES) {
        const res = await app.inject({
          method: method as 'GET',
          url,
          headers: { authorization: `Bearer ${keys[role]}` },
        });
        if (roleAtLeast(role, need)) {
          expect([401, 403], `${label} with a ${role} key: ${res.body}`).not.toContain(res.statusCode);
        } else {
          expect(res.statusCode, `${label} with a ${role} key`).toBe(403);
          expect(res.json().error.code).toBe('FORBIDDEN');
        }
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
  }, 60_000);

  it('keys and backups need admin even to read', async () => {
    for (const url of ['/keys', '/backups']) {
      for (const role of ['viewer', 'editor'] as const) {
        const res = await app.inject({ url, headers: { authorization: `Bearer ${keys[role]}` } });
        expect(res.statusCode, `${role} GET ${url}`).toBe(403);
      }
      expect((await app.inject({ url, headers: { authorization: `Bearer ${keys.admin}` } })).statusCode).toBe(200);
    }
  });

  it('health probes and docs stay public; /metrics needs a viewer key', async () => {
    expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/docs/json' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(401);
    expect(
      (await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${keys.viewer}` } })).statusCode,
    ).toBe(200);
  });

  it('a revoked key stops working at once; keys are created and revoked through the API by admins', async () => {
    const admin = { authorization: `Bearer ${keys.admin}` };
    const created = await app.inject({
      method: 'POST',
      url: '/keys',
      headers: admin,
      payload: { role: 'viewer', name: 'tmp' },
    });
    expect(created.statusCode).toBe(201);
    const { id, key, prefix } = created.json();
    expect(key).toMatch(/^clk_/);
    const listed = (await app.inject({ url: '/keys', headers: admin })).json().keys;
    expect(listed.find((k: { id: number }) => k.id === id)).toMatchObject({ prefix, role: 'viewer' });
    expect(JSON.stringify(listed)).not.toContain(key);
    expect((await app.inject({ url: '/alerts', headers: { authorization: `Bearer ${key}` } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: `/keys/${id}`, headers: admin })).statusCode).toBe(200);
    expect((await app.inject({ url: '/alerts', headers: { authorization: `Bearer ${key}` } })).statusCode).toBe(401);
  });
});

describe('operations: rate limits, headers, docs', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi('sqlite', { RATE_LIMIT_PER_MINUTE: '5', TRAINING_RATE_LIMIT_PER_MINUTE: '2' });
  });
  afterAll(async () => api?.close());

  it('answers 429 with Retry-After past the limit, per client, and never throttles health probes', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await api.app.inject({ url: '/alerts', remoteAddress: '10.0.0.1' })).statusCode).toBe(200);
    }
    const limited = await api.app.inject({ url: '/alerts', remoteAddress: '10.0.0.1' });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json().error.code).toBe('RATE_LIMITED');
    // Another client has its own budget.
    expect((await api.app.inject({ url: '/alerts', remoteAddress: '10.0.0.2' })).statusCode).toBe(200);
    for (let i = 0; i < 20; i++) {
      expect((await api.app.inject({ url: '/health/live', remoteAddress: '10.0.0.1' })).statusCode).toBe(200);
    }
  });

  it('training mutations have their own, stricter budget', async () => {
    const doc = (await api.app.inject({ url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const trainingPost = Object.entries(doc.paths).find(
      ([p, ops]) => p.startsWith('/training') && 'post' in ops && !p.includes('{'),
    )?.[0];
    if (!trainingPost) return; // the training routes have not landed in this checkout
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push(
        (await api.app.inject({ method: 'POST', url: trainingPost, payload: {}, remoteAddress: '10.0.0.9' }))
          .statusCode,
      );
    }
    expect(statuses[0]).not.toBe(429);
    expect(statuses[1]).not.toBe(429);
    expect(statuses[2]).toBe(429);
  });

  it('sends security headers with a CSP that admits same-origin scripts and inline styles only', async () => {
    const res = await api.app.inject({ url: '/health/live' });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('Swagger UI at /docs only uses same-origin scripts, all of which load', async () => {
    const page = await api.app.inject({ url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toBeDefined();
    const scripts = [...page.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, inline] of scripts) {
      expect(inline!.trim(), 'no inline script (CSP forbids it)').toBe('');
      const src = /src="([^"]+)"/.exec(attrs!)![1]!;
      expect(src.startsWith('http')).toBe(false);
      const asset = await api.app.inject({ url: new URL(src, 'http://x/docs/').pathname });
      expect(asset.statusCode, src).toBe(200);
    }
  });
});

describe('operations: backups API', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi('sqlite');
  });
  afterAll(async () => api?.close());

  it('creates, lists and restores archives in BACKUP_DIR, and refuses paths outside it', async () => {
    const created = await api.app.inject({ method: 'POST', url: '/backups', payload: {} });
    expect(created.statusCode).toBe(201);
    const { name } = created.json();
    const listed = (await api.app.inject({ url: '/backups' })).json().backups;
    expect(listed.map((b: { name: string }) => b.name)).toEqual([name]);
    const escape = await api.app.inject({
      method: 'POST',
      url: '/backups/restore',
      payload: { file: '../../etc/passwd' },
    });
    expect(escape.statusCode).toBe(400);
    expect(escape.json().error.details[0].field).toBe('body.file');
    const restored = await api.app.inject({ method: 'POST', url: '/backups/restore', payload: { file: name } });
    expect(restored.statusCode, restored.body).toBe(200);
    expect(restored.json().files).toBeGreaterThan(0);
    expect(restored.json().kept.api_keys).toMatchObject({ revoked_since_backup: [], added_from_backup: [] });
  });
});
