import { chmodSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { createTestApi, type TestApi } from '../support/api.js';
import { describeEachDialect } from '../support/databases.js';

describeEachDialect('api foundation', (dialect) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi(dialect);
  });
  afterAll(async () => api?.close());

  it('GET /health/live answers 200', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/health/live' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok' });
  });

  it('GET /health/ready reports each check', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('ready');
    expect(body.checks.map((c: { name: string }) => c.name)).toEqual(['database', 'migrations', 'folders', 'system']);
  });

  it('unknown routes get a JSON 404 in the error shape', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/no/such/thing?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.json().error).toMatchObject({ code: 'NOT_FOUND', message: 'no route GET /no/such/thing' });
  });

  it('serves an OpenAPI 3 document listing every route, and Swagger UI at /docs', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health/live', '/health/ready']));
    const ui = await api.app.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
  });
});

it('/health/ready answers 503 naming the failing check [sqlite]', async () => {
  const api = await createTestApi('sqlite');
  try {
    chmodSync(api.lab.settings.modelDir, 0o500);
    // root may write anyway; fall back to removing the folder, which no one can write to.
    const { rmSync } = await import('node:fs');
    rmSync(api.lab.settings.modelDir, { recursive: true, force: true });
    const res = await api.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json().status).toContain('folders');
    await api.lab.db.close();
    const down = await api.app.inject({ method: 'GET', url: '/health/ready' });
    expect(down.statusCode).toBe(503);
    expect(down.json().status).toContain('database');
  } finally {
    await api.app.close();
  }
});

it('validation errors name the field, and app errors keep their status [sqlite]', async () => {
  const api = await createTestApi('sqlite');
  const app = await buildApp(api.lab);
  app.post(
    '/echo',
    { schema: { body: Type.Object({ name: Type.String({ minLength: 1 }), count: Type.Integer({ minimum: 1 }) }) } },
    async (req) => req.body,
  );
  app.get('/boom', async () => {
    throw new Error('secret internals');
  });
  try {
    const missing = await app.inject({ method: 'POST', url: '/echo', payload: { count: 0 } });
    expect(missing.statusCode).toBe(400);
    const err = missing.json().error;
    expect(err.code).toBe('VALIDATION_ERROR');
    const fields = err.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['body.name', 'body.count']));
    const boom = await app.inject({ method: 'GET', url: '/boom' });
    expect(boom.statusCode).toBe(500);
    expect(boom.json().error).toEqual({ code: 'INTERNAL_ERROR', message: 'internal server error', details: [] });
    const badJson = await app.inject({
      method: 'POST',
      url: '/echo',
      payload: '{oops',
      headers: { 'content-type': 'application/json' },
    });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json().error.message).toBeTruthy();
  } finally {
    await app.close();
    await api.close();
  }
});

it('answers over a real listening socket [sqlite]', async () => {
  const api = await createTestApi('sqlite');
  try {
    const address = await api.app.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${address}/health/live`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  } finally {
    await api.close();
  }
});
