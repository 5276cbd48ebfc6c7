import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { openLab } from '../../src/lab/context.js';
import { LOG_DATASET_TYPE, applyRetention } from '../../src/monitoring/model/log-store.js';
import { createTestApi, type TestApi } from '../support/api.js';
import { runCli, spawnCli } from '../support/cli.js';
import { createTestLab, describeEachDialect } from '../support/databases.js';
import { seedBanking77 } from '../training/support.js';

async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every byte the lab wrote under its folder (database, WAL, logs, models), as one Buffer per file. */
function filesUnder(dir: string): Array<{ file: string; bytes: Buffer }> {
  const out: Array<{ file: string; bytes: Buffer }> = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) out.push(...filesUnder(file));
    else out.push({ file, bytes: readFileSync(file) });
  }
  return out;
}

async function trainedApi(dialect: 'sqlite' | 'postgres', env: Record<string, string> = {}): Promise<TestApi> {
  // The limiter would answer 429 to a thousand requests a minute: these tests measure the log.
  const api = await createTestApi(dialect, { RATE_LIMIT_PER_MINUTE: '100000', ...env });
  const datasetId = await seedBanking77(api.lab, { trainPerIntent: 30, testPerIntent: 5 });
  const res = await api.app.inject({
    method: 'POST',
    url: '/training/run',
    payload: { dataset_id: datasetId, model_type: 'tfidf-linear', seed: 1, alias: 'production' },
  });
  expect(res.statusCode, res.body).toBe(200);
  return api;
}

describeEachDialect('prediction log', (dialect) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await trainedApi(dialect, { PREDICTION_LOG_BATCH: '300', PREDICTION_LOG_FLUSH_MS: '60000' });
  });
  afterAll(async () => api?.close());

  const predict = (payload: Record<string, unknown>) =>
    api.app.inject({ method: 'POST', url: '/intents/predict', payload });
  const count = async (table: 'prediction_log' | 'turns') =>
    Number(
      (
        await api.lab.db.kysely
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('1,000 predictions become 1,000 turns of the log dataset and 1,000 log rows after a flush', async () => {
    const before = await count('turns');
    for (let i = 0; i < 1000; i++) {
      const res = await predict({
        text: `my card has not arrived yet, request ${i}`,
        // 100 turns of one conversation, 100 of one session, the rest anonymous.
        ...(i < 100 ? { conversation_id: 'conv-a', user_ref: 'u-1', metadata: { channel: 'web', i } } : {}),
        ...(i >= 100 && i < 200 ? { session_id: 'sess-b' } : {}),
      });
      expect(res.statusCode).toBe(200);
    }
    // Size-triggered batches (300) may still be in flight; flush waits for them and writes the rest.
    await api.app.monitoring.predictions.flush();
    expect(await count('prediction_log')).toBe(1000);
    expect((await count('turns')) - before).toBe(1000);

    const dataset = await api.lab.db.kysely
      .selectFrom('datasets')
      .selectAll()
      .where('type', '=', LOG_DATASET_TYPE)
      .executeTakeFirstOrThrow();
    expect(dataset.turn_count).toBe(1000);
    expect(dataset.conversation_count).toBe(802);

    const conv = await api.lab.db.kysely
      .selectFrom('conversations')
      .selectAll()
      .where('dataset_id', '=', dataset.id)
      .where('external_id', '=', 'conv-a')
      .executeTakeFirstOrThrow();
    expect(conv.turn_count).toBe(100);
    const turns = await api.lab.db.kysely
      .selectFrom('turns')
      .selectAll()
      .where('conversation_id', '=', conv.id)
      .orderBy('idx')
      .execute();
    expect(turns.map((t) => t.idx)).toEqual([...Array(100).keys()]);
    expect(turns[0]).toMatchObject({ speaker: 'USER', text: 'my card has not arrived yet, request 0', intent: null });
    expect(turns[0]!.predicted_intent).toBe('card_arrival');
    expect(JSON.parse(turns[0]!.metadata!)).toEqual({ channel: 'web', i: 0 });

    const side = await api.lab.db.kysely
      .selectFrom('prediction_log')
      .selectAll()
      .where('turn_id', '=', turns[0]!.id)
      .executeTakeFirstOrThrow();
    expect(side).toMatchObject({ model_version: 1, intent: 'card_arrival', text_stored: 1, user_ref: 'u-1' });
    expect(JSON.parse(side.top)).toHaveLength(3);
    expect(side.latency_ms).toBeGreaterThan(0);
    expect(side.oov_count).not.toBeNull();

    // A conversation log like any other: the analytics endpoints read it without special code.
    const analytics = await api.app.inject({ method: 'GET', url: `/analytics/intents?dataset=${dataset.id}` });
    expect(analytics.statusCode, analytics.body).toBe(200);
    expect(JSON.stringify(analytics.json())).toContain('card_arrival');
  });

  it('writes a partial buffer on the interval without a flush call', async () => {
    const fast = await trainedApi(dialect, { PREDICTION_LOG_FLUSH_MS: '100' });
    try {
      const res = await fast.app.inject({
        method: 'POST',
        url: '/intents/predict',
        payload: { text: 'how do I change my pin' },
      });
      expect(res.statusCode).toBe(200);
      const rows = await waitFor(async () => {
        const r = await fast.lab.db.kysely.selectFrom('prediction_log').selectAll().execute();
        return r.length > 0 ? r : undefined;
      });
      expect(rows).toHaveLength(1);
      expect(rows[0]!.intent).toBe('change_pin');
    } finally {
      await fast.close();
    }
  });

  it('retention deletes rows past PREDICTION_LOG_DAYS and beyond the row cap, with their turns and empty conversations', async () => {
    const dataset = await api.lab.db.kysely
      .selectFrom('datasets')
      .select('id')
      .where('type', '=', LOG_DATASET_TYPE)
      .executeTakeFirstOrThrow();
    // Age 200 log rows by 40 days.
    const oldest = await api.lab.db.kysely
      .selectFrom('turns')
      .select('id')
      .where('dataset_id', '=', dataset.id)
      .orderBy('id')
      .limit(200)
      .execute();
    const ids = oldest.map((r) => r.id);
    const aged = Date.now() - 40 * 86_400_000;
    await api.lab.db.kysely.updateTable('turns').set({ ts: aged }).where('id', 'in', ids).execute();
    await api.lab.db.kysely.updateTable('prediction_log').set({ ts: aged }).where('turn_id', 'in', ids).execute();

    const byAge = await applyRetention(api.lab, { days: 30, maxRows: 1_000_000 });
    expect(byAge.deleted).toBe(200);
    expect(await count('prediction_log')).toBe(800);
    const byCount = await applyRetention(api.lab, { days: 30, maxRows: 500 });
    expect(byCount.deleted).toBe(300);
    expect(await count('prediction_log')).toBe(500);
    const ds = await api.lab.db.kysely
      .selectFrom('datasets')
      .selectAll()
      .where('id', '=', dataset.id)
      .executeTakeFirstOrThrow();
    expect(ds.turn_count).toBe(500);
    const convs = await api.lab.db.kysely
      .selectFrom('conversations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('dataset_id', '=', dataset.id)
      .executeTakeFirstOrThrow();
    expect(Number(convs.n)).toBe(ds.conversation_count);
    // The newest rows are the ones kept.
    const newest = await api.lab.db.kysely
      .selectFrom('prediction_log')
      .select((eb) => eb.fn.max('turn_id').as('m'))
      .executeTakeFirstOrThrow();
    expect(newest.m).not.toBeNull();
  });

  it('rejects bad logging fields with the error shape and logs nothing for them', async () => {
    const before = api.app.monitoring.predictions.pending;
    for (const [payload, field] of [
      [{ text: 'hi there', conversation_id: '' }, 'body.conversation_id'],
      [{ text: 'hi there', metadata: 'not an object' }, 'body.metadata'],
      [{ text: 'hi there', user_ref: { id: 1 } }, 'body.user_ref'],
    ] as const) {
      const res = await predict(payload as Record<string, unknown>);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_ERROR');
      expect(JSON.stringify(res.json().error.details)).toContain(field.replace('body.', ''));
    }
    expect(api.app.monitoring.predictions.pending).toBe(before);
  });

  it('PREDICTION_LOG=off stores nothing', async () => {
    const off = await trainedApi(dialect, { PREDICTION_LOG: 'off' });
    try {
      expect(
        (await off.app.inject({ method: 'POST', url: '/intents/predict', payload: { text: 'my pin' } })).statusCode,
      ).toBe(200);
      await off.app.monitoring.predictions.flush();
      const rows = await off.lab.db.kysely.selectFrom('prediction_log').selectAll().execute();
      expect(rows).toHaveLength(0);
    } finally {
      await off.close();
    }
  });
});

describeEachDialect('prediction log, hashed mode', (dialect) => {
  const SENTINEL = 'zebraquokka sentinel 7731';
  it('keeps the SHA-256 and figures but the text nowhere (database bytes checked on SQLite)', async () => {
    for (const mode of ['on', 'hashed'] as const) {
      const api = await trainedApi(dialect, { PREDICTION_LOG: mode });
      try {
        const res = await api.app.inject({
          method: 'POST',
          url: '/intents/predict',
          payload: { text: `${SENTINEL} my card has not arrived` },
        });
        expect(res.statusCode).toBe(200);
        await api.app.monitoring.predictions.flush();
        const row = await api.lab.db.kysely
          .selectFrom('prediction_log')
          .innerJoin('turns', 'turns.id', 'prediction_log.turn_id')
          .select([
            'turns.text',
            'prediction_log.text_sha256',
            'prediction_log.text_stored',
            'prediction_log.text_length',
          ])
          .executeTakeFirstOrThrow();
        expect(row.text_length).toBe(`${SENTINEL} my card has not arrived`.length);
        if (mode === 'hashed') {
          expect(row.text).toBe(`[sha256:${row.text_sha256}]`);
          expect(row.text_stored).toBe(0);
        } else {
          expect(row.text).toContain(SENTINEL);
        }
        if (dialect === 'sqlite') {
          await api.app.close();
          await api.lab.db.close();
          // The bytes of every file the lab wrote (database, WAL, logs): the control run (`on`)
          // shows the search does find the text when it is stored.
          const hits = filesUnder(api.lab.dir).filter((f) => f.bytes.includes(Buffer.from('zebraquokka')));
          if (mode === 'hashed') expect(hits.map((h) => h.file)).toEqual([]);
          else expect(hits.length).toBeGreaterThan(0);
        }
      } finally {
        await api.close().catch(() => {});
      }
    }
  });
});

it('a bad PREDICTION_LOG value stops the CLI with exit 2 naming the key', async () => {
  const lab = await createTestLab('sqlite');
  try {
    const res = runCli(['init'], {
      cwd: lab.dir,
      env: { PREDICTION_LOG: 'maybe', DATABASE_URL: lab.settings.databaseUrl },
    });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/invalid setting PREDICTION_LOG: must be on, off or hashed/);
  } finally {
    await lab.cleanup();
  }
});

it('SIGTERM writes the buffered predictions before the server exits', async () => {
  const lab = await createTestLab('sqlite');
  try {
    await seedBanking77(lab, { trainPerIntent: 30, testPerIntent: 5 });
    const { trainModel } = await import('../../src/training/pipeline.js');
    const run = await trainModel(lab, {
      datasetId: 'banking77-subset',
      modelType: 'tfidf-linear',
      alias: 'production',
    });
    expect(run.status).toBe('succeeded');
    await lab.db.close();

    // A long interval and a big batch: only the shutdown flush can write these rows.
    const child = spawnCli(['serve', '--port', '0'], {
      cwd: lab.dir,
      env: { DATABASE_URL: lab.settings.databaseUrl, PREDICTION_LOG_FLUSH_MS: '60000', PREDICTION_LOG_BATCH: '10000' },
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
    });
    for (let i = 0; i < 50; i++) {
      const res = await fetch(`${url}/intents/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: `I lost my card ${i}` }),
      });
      expect(res.status).toBe(200);
    }
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);

    const reopened = await openLab(
      loadSettings({ cwd: lab.dir, env: { DATABASE_URL: lab.settings.databaseUrl, LOG_LEVEL: 'silent' } }),
    );
    try {
      const rows = await reopened.db.kysely.selectFrom('prediction_log').select('id').execute();
      expect(rows).toHaveLength(50);
    } finally {
      await reopened.db.close();
    }
  } finally {
    await lab.cleanup().catch(() => {});
  }
});
