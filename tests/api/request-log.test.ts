import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, expect, it } from 'vitest';
import { buildApp, type LabApp } from '../../src/api/app.js';
import { createTestLab, type TestLab } from '../support/databases.js';

let lab: TestLab | undefined;
let app: LabApp | undefined;
afterEach(async () => {
  await app?.close();
  await lab?.cleanup();
});

async function appLogging(level: 'info' | 'debug') {
  const lines: Array<{ level: number; msg: string; req?: { url: string }; res?: { statusCode: number } }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  lab = await createTestLab('sqlite');
  app = await buildApp(lab, { logger: pino({ level }, sink) });
  app.get('/boom', { schema: { hide: true } }, async () => {
    throw new Error('kaboom');
  });
  await app.ready();
  return lines;
}

it('logs requests at debug only, and server errors at any level', async () => {
  const lines = await appLogging('info');
  expect((await app!.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
  expect((await app!.inject({ method: 'GET', url: '/boom' })).statusCode).toBe(500);
  const completed = lines.filter((l) => l.res !== undefined);
  expect(completed.map((l) => [l.req?.url, l.res?.statusCode, l.level])).toEqual([['/boom', 500, 50]]);
});

it('at LOG_LEVEL debug every request is logged once', async () => {
  const lines = await appLogging('debug');
  await app!.inject({ method: 'GET', url: '/health/live' });
  const completed = lines.filter((l) => l.res !== undefined);
  expect(completed.map((l) => [l.req?.url, l.res?.statusCode, l.msg])).toEqual([
    ['/health/live', 200, 'request completed'],
  ]);
});
