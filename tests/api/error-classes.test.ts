import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sqlitePath } from '../../src/config/settings.js';
import { resolveParams } from '../../src/nlp/params.js';
import { getTrainer } from '../../src/nlp/registry.js';
import type { ModelType } from '../../src/nlp/types.js';
import { createTestApi, type TestApi } from '../support/api.js';
import { describeEachDialect } from '../support/databases.js';
import { write } from '../datasets/helpers.js';

const ERROR_SHAPE = {
  error: { code: expect.any(String), message: expect.any(String), details: expect.any(Array) },
};

/** Requests a client gets wrong: each answered with a 4xx in the documented shape, never a 500. */
describeEachDialect('request error classes', (dialect) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi(dialect, { DATASET_DIR: 'Dataset' });
    mkdirSync(api.lab.settings.datasetDir, { recursive: true });
  });
  afterAll(async () => api?.close());

  it('a wrong Content-Type on a JSON route is a 415 in the error shape', async () => {
    for (const url of ['/datasets/upload', '/training/run', '/keys', '/intents/predict']) {
      const res = await api.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'text/plain' },
        payload: 'x',
      });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(415);
      expect(res.json()).toMatchObject({
        error: { code: 'UNSUPPORTED_MEDIA_TYPE', details: [{ field: 'headers.content-type' }] },
      });
    }
  });

  it('several file parts in one multipart upload are a clear 400', async () => {
    const b = 'chatlabBoundary';
    const file = (name: string) =>
      `--${b}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: text/csv\r\n\r\ntext,label\nhi,a\n\r\n`;
    const res = await api.app.inject({
      method: 'POST',
      url: '/datasets/upload',
      headers: { 'content-type': `multipart/form-data; boundary=${b}` },
      payload: `--${b}\r\nContent-Disposition: form-data; name="dataset_type"\r\n\r\ncsv\r\n${file('a.csv')}${file('b.csv')}--${b}--\r\n`,
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.message).toMatch(/exactly one file part/);
  });

  it('a query value that is an object key gets the same 400 as any unknown value', async () => {
    const unknown = await api.app.inject({ method: 'GET', url: '/analytics/overview?format=csv&table=nope' });
    expect(unknown.statusCode).toBe(400);
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const res = await api.app.inject({ method: 'GET', url: `/analytics/overview?format=csv&table=${name}` });
      expect(res.statusCode, `${name}: ${res.body}`).toBe(400);
      expect(res.json().error.details).toEqual(unknown.json().error.details);
    }
    // The same class in parameter names and model types.
    expect(() =>
      resolveParams({ epochs: { type: 'int', default: 1, description: 'passes' } }, { constructor: 1 }),
    ).toThrow(/constructor unknown parameter/);
    expect(() => getTrainer('constructor' as ModelType)).toThrow(/unknown model type "constructor"/);
  });

  it('4xx answers from the HTTP layer itself (431) are in the error shape', async () => {
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = api.app.server.address() as { port: number };
    const answer = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path: '/health/live', headers: { 'x-big': 'a'.repeat(64 * 1024) } },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(answer.status).toBe(431);
    expect(answer.type).toMatch(/application\/json/);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'HEADERS_TOO_LARGE' } });
    expect(JSON.parse(answer.body)).toMatchObject(ERROR_SHAPE);
  });

  it('error messages name files relative to DATASET_DIR, not the server paths', async () => {
    write(api.lab.settings.datasetDir, 'team/dup.csv', 'text,label,text\na,b,c\n');
    const res = await api.app.inject({
      method: 'POST',
      url: '/datasets/upload',
      payload: { dataset_type: 'csv', file_path: 'team/dup.csv' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/^team\/dup\.csv line 1: duplicate column name/);
    expect(res.body).not.toContain(api.lab.dir);
    const missing = await api.app.inject({
      method: 'POST',
      url: '/datasets/upload',
      payload: { dataset_type: 'banking77', file_path: 'team' },
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.message).toMatch(/^team\/train\.csv does not exist/);
    expect(missing.body).not.toContain(api.lab.dir);
  });

  it('a corrupt or missing model artifact is a clear 503 naming the version, and is not cached', async () => {
    const dir = path.join(api.lab.settings.modelDir, 'broken', 'v1');
    write(dir, 'manifest.json', '{"format": "chatlab-model", ');
    const k = api.lab.db.kysely;
    const { id } = await k
      .insertInto('model_versions')
      .values({
        name: 'intent-classifier',
        version: 7,
        run_id: null,
        model_type: 'tfidf-linear',
        path: dir,
        labels: '["a"]',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await k
      .insertInto('model_aliases')
      .values({ alias: 'production', model_version_id: id, updated_at: new Date().toISOString() })
      .execute();
    const corrupt = await api.app.inject({ method: 'POST', url: '/intents/predict', payload: { text: 'hello' } });
    expect(corrupt.statusCode, corrupt.body).toBe(503);
    expect(corrupt.json()).toMatchObject({ error: { code: 'MODEL_UNAVAILABLE' } });
    expect(corrupt.json().error.message).toMatch(
      /^model version intent-classifier:7 cannot be loaded: its artifact is missing or corrupt/,
    );
    // Not cached: once the folder is gone the next request reports that, not the old failure.
    rmSync(dir, { recursive: true });
    const missing = await api.app.inject({ method: 'POST', url: '/intents/predict', payload: { text: 'hello' } });
    expect(missing.statusCode, missing.body).toBe(503);
    expect(missing.json().error.message).toMatch(/intent-classifier:7 .*no manifest\.json/);
    expect(missing.body).not.toContain(api.lab.dir);
  });

  if (dialect === 'sqlite') {
    it('a write while another process holds the SQLite write lock is a 503 with Retry-After', async () => {
      const file = sqlitePath(api.lab.settings.databaseUrl);
      // Another process takes the write lock and says so on stdout.
      const holder: ChildProcess = spawn(
        process.execPath,
        [
          '-e',
          `const db = new (require('better-sqlite3'))(${JSON.stringify(file)}); db.exec('begin immediate');
           process.stdout.write('locked\\n'); process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`,
        ],
        { cwd: path.resolve(import.meta.dirname, '../..'), stdio: ['pipe', 'pipe', 'inherit'] },
      );
      try {
        await new Promise<void>((resolve, reject) => {
          holder.stdout!.on('data', (c: Buffer) => c.toString().includes('locked') && resolve());
          holder.on('exit', (code) => reject(new Error(`lock holder exited ${code}`)));
        });
        const res = await api.app.inject({ method: 'POST', url: '/keys', payload: { role: 'viewer' } });
        expect(res.statusCode, res.body).toBe(503);
        expect(res.headers['retry-after']).toBe('5');
        expect(res.json()).toMatchObject({ error: { code: 'DATABASE_BUSY' } });
      } finally {
        holder.stdin!.end();
        await new Promise((r) => holder.once('exit', r));
      }
      const after = await api.app.inject({ method: 'POST', url: '/keys', payload: { role: 'viewer' } });
      expect(after.statusCode, after.body).toBe(201);
    });
  }
});
