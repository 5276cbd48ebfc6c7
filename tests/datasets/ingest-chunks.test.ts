import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runAnalytics } from '../../src/analytics/index.js';
import { ingestDataset } from '../../src/datasets/ingest.js';
import { sweepAbandonedIngestions } from '../../src/datasets/ingest-ownership.js';
import { createRun } from '../../src/experiments/runs.js';
import { createTestApi, type TestApi } from '../support/api.js';
import { describeEachDialect } from '../support/databases.js';
import { tableCounts } from './helpers.js';

const TURNS = 4_500;
/** Rows per commit: small, so these logs are written in many chunks as a large one would be. */
const COMMIT_ROWS = 1_000;
/** Loaders read 1 MB at a time and a commit ends after a batch: ~1 KB lines make ~1,000-turn batches. */
const PADDING = 'x'.repeat(800);

/** A conversation log of `turns` JSON Lines (10 turns per conversation), then `tail` verbatim. */
function writeLog(file: string, turns: number, tail = ''): void {
  const lines: string[] = [];
  for (let i = 0; i < turns; i++) {
    const user = i % 2 === 0;
    lines.push(
      JSON.stringify({
        conversation_id: `c${Math.floor(i / 10)}`,
        speaker: user ? 'user' : 'bot',
        text: user ? `Where is my card number ${i}? I am unhappy` : 'Sorry about that, let me help.',
        ...(user ? { intent: i % 4 === 0 ? 'card_arrival' : 'lost_or_stolen_card' } : {}),
        timestamp: Date.UTC(2025, 0, 1) + i * 10_000,
        note: PADDING,
      }),
    );
  }
  writeFileSync(file, lines.join('\n') + '\n' + tail);
}

async function rollupRows(api: TestApi): Promise<number> {
  let n = 0;
  for (const table of ['turn_rollups_daily', 'conversation_rollups', 'conversation_intents'] as const) {
    const row = await api.lab.db.kysely
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    n += Number(row.n);
  }
  return n;
}

// Worker ingestions (INGEST_WORKER_MIN_KB=0) committing every COMMIT_ROWS rows.
describeEachDialect('chunked ingestion', (dialect) => {
  let api: TestApi;
  let datasetDir: string;
  beforeAll(async () => {
    api = await createTestApi(dialect, { INGEST_WORKER_MIN_KB: '0', INGEST_COMMIT_ROWS: String(COMMIT_ROWS) });
    datasetDir = api.lab.settings.datasetDir;
    mkdirSync(datasetDir, { recursive: true });
  });
  afterAll(async () => api?.close());

  it('lets the API write while a worker ingestion is half-way, and hides the dataset until it is ready', async () => {
    const file = path.join(datasetDir, 'chunked-log.jsonl');
    writeLog(file, TURNS);
    let finished = false;
    let midway: Promise<Record<string, unknown>> | undefined;
    let batches = 0;
    const ingestion = ingestDataset(api.lab, { type: 'jsonl', path: file, name: 'chunked-log' }, () => {
      // Each read batch is past COMMIT_ROWS, so each is committed before the next one is stored:
      // at the second batch's progress the first is committed, and most of the file is still ahead.
      if (++batches < 2) return;
      midway ??= (async () => {
        // The API's own connection writes (a run registration) while the worker still ingests.
        const runId = await createRun(api.lab, { datasetId: null, modelType: 'tfidf-linear', params: {} });
        const writtenWhileIngesting = !finished;
        const stored = await api.lab.db.kysely
          .selectFrom('turns')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow();
        const list = await api.app.inject({ method: 'GET', url: '/datasets' });
        // Over every dataset, from the raw turns (the rollups are built at the end anyway).
        const overview = (await runAnalytics(api.lab, 'overview', { granularity: 'day' }, { raw: true })) as {
          turns: number;
        };
        return {
          runId,
          writtenWhileIngesting,
          committedTurns: Number(stored.n),
          listed: (list.json() as { items: Array<{ name: string }> }).items.some((d) => d.name === 'chunked-log'),
          overviewTurns: overview.turns,
          stillIngesting: !finished,
        };
      })();
    }).finally(() => (finished = true));

    const { dataset, created } = await ingestion;
    expect(midway).toBeDefined();
    const seen = await midway!;
    expect(created).toBe(true);
    expect(dataset.turn_count).toBe(TURNS);
    expect(seen.runId).toEqual(expect.any(Number));
    // The write did not wait for the end of the ingestion (one transaction would have held it).
    expect(seen.writtenWhileIngesting).toBe(true);
    // Rows were committed already, yet nothing showed them: not the list, not the analytics.
    expect(seen.committedTurns).toBeGreaterThan(0);
    expect(seen.committedTurns).toBeLessThan(TURNS);
    expect(seen.stillIngesting).toBe(true);
    expect(seen.listed).toBe(false);
    expect(seen.overviewTurns).toBe(0);

    const list = await api.app.inject({ method: 'GET', url: '/datasets' });
    expect((list.json() as { items: Array<{ name: string }> }).items.map((d) => d.name)).toContain('chunked-log');
    const overview = await api.app.inject({ method: 'GET', url: `/analytics/overview?dataset=${dataset.id}` });
    expect(overview.statusCode).toBe(200);
  });

  it('a bad line after several commits stores nothing: no dataset, turns or rollups', async () => {
    const before = await tableCounts(api.lab);
    const rollupsBefore = await rollupRows(api);
    writeLog(path.join(datasetDir, 'broken-chunked.jsonl'), 2_500, '{"conversation_id": "c-last", "speaker": \n');
    const res = await api.app.inject({
      method: 'POST',
      url: '/datasets/upload',
      payload: { dataset_type: 'jsonl', file_path: 'broken-chunked.jsonl', name: 'broken-chunked' },
    });
    expect(res.statusCode).toBe(400);
    expect((res.json() as { error: { message: string } }).error.message).toMatch(/line 2501/);
    expect(await tableCounts(api.lab)).toEqual(before);
    expect(await rollupRows(api)).toBe(rollupsBefore);
  });

  it('the start-up sweep removes a dataset left ingesting by a dead owner, not one a live owner is writing', async () => {
    const db = api.lab.db.kysely;
    const before = await tableCounts(api.lab);
    const leftBehind = async (name: string, owner: string, heartbeatAt: number) => {
      const { id } = await db
        .insertInto('datasets')
        .values({
          name,
          type: 'jsonl',
          source: name,
          checksum: name,
          status: 'ingesting',
          ingest_owner: owner,
          ingest_heartbeat_at: heartbeatAt,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const { id: conversationId } = await db
        .insertInto('conversations')
        .values({ dataset_id: id, external_id: 'c1', turn_count: 0 })
        .returning('id')
        .executeTakeFirstOrThrow();
      await db
        .insertInto('turns')
        .values(
          [0, 1].map((idx) => ({ dataset_id: id, conversation_id: conversationId, idx, speaker: 'USER', text: 'hi' })),
        )
        .execute();
      return id;
    };
    // A pid that no process on this host has (above the kernel's pid_max), beating recently.
    const dead = await leftBehind('dead-owner', `${hostname()}:4194400:abcd`, Date.now());
    // This very process, beating now: an ingestion in progress.
    const live = await leftBehind('live-owner', `${hostname()}:${process.pid}:abcd`, Date.now());
    // A live process on this host that has not beaten for an hour is in a long step: kept.
    const busy = await leftBehind('busy-owner', `${hostname()}:${process.pid}:efgh`, Date.now() - 3_600_000);
    // Another host's owner is judged by its beat: silent for an hour, gone.
    const silent = await leftBehind('silent-owner', `elsewhere.example:${process.pid}:ijkl`, Date.now() - 3_600_000);

    expect(await sweepAbandonedIngestions(api.lab)).toBe(2);
    const left = await db.selectFrom('datasets').select(['id', 'status']).where('status', '=', 'ingesting').execute();
    expect(left.map((d) => d.id).sort((a, b) => a - b)).toEqual([live, busy]);
    const turnsOf = async (id: number) =>
      Number(
        (
          await db
            .selectFrom('turns')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('dataset_id', '=', id)
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect(await turnsOf(dead)).toBe(0);
    expect(await turnsOf(silent)).toBe(0);
    expect(await turnsOf(live)).toBe(2);
    expect(await turnsOf(busy)).toBe(2);

    for (const id of [live, busy]) {
      await db.deleteFrom('turns').where('dataset_id', '=', id).execute();
      await db.deleteFrom('conversations').where('dataset_id', '=', id).execute();
      await db.deleteFrom('datasets').where('id', '=', id).execute();
    }
    expect(await tableCounts(api.lab)).toEqual(before);
  });
});
