import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ingestDataset } from '../../src/datasets/ingest.js';
import type { IngestProgress } from '../../src/datasets/types.js';
import { createTestApi, type TestApi } from '../support/api.js';
import { describeEachDialect } from '../support/databases.js';
import { tableCounts } from './helpers.js';

const TURNS = 12_000;
const BROKEN_TURNS = 4_000;

/** A conversation log of `turns` JSON Lines (10 turns per conversation), then `tail` verbatim. */
function writeLog(file: string, turns: number, tail = ''): void {
  const lines: string[] = [];
  for (let i = 0; i < turns; i++) {
    const user = i % 2 === 0;
    lines.push(
      JSON.stringify({
        conversation_id: `c${Math.floor(i / 10)}`,
        speaker: user ? 'user' : 'bot',
        text: user ? `I lost my card number ${i}, this is terrible` : 'Sorry about that, let me help.',
        ...(user ? { intent: i % 4 === 0 ? 'lost_or_stolen_card' : 'card_arrival' } : {}),
        timestamp: Date.UTC(2025, 0, 1) + i * 10_000,
      }),
    );
  }
  writeFileSync(file, lines.join('\n') + '\n' + tail);
}

// Every ingestion goes to the worker thread here (INGEST_WORKER_MIN_KB=0), as large ones do.
describeEachDialect('ingestion in a worker thread', (dialect) => {
  let api: TestApi;
  let datasetDir: string;
  beforeAll(async () => {
    api = await createTestApi(dialect, { INGEST_WORKER_MIN_KB: '0' });
    datasetDir = api.lab.settings.datasetDir;
    mkdirSync(datasetDir, { recursive: true });
  });
  afterAll(async () => api?.close());

  it('answers /health/live and /health/ready while a large log is being ingested', async () => {
    const file = path.join(datasetDir, 'big-log.jsonl');
    writeLog(file, TURNS);
    let finished = false;
    const progress: IngestProgress[] = [];
    const answers: Array<{ url: string; status: number; whileIngesting: boolean; listed?: boolean }> = [];
    let probes: Promise<void> | undefined;
    const ingestion = ingestDataset(api.lab, { type: 'jsonl', path: file, name: 'big-log' }, (p) => {
      progress.push(p);
      // Once rows are stored (the transaction is open), ask the API while the worker carries on.
      probes ??= (async () => {
        for (const url of ['/health/live', '/health/ready']) {
          const res = await api.app.inject({ method: 'GET', url });
          answers.push({ url, status: res.statusCode, whileIngesting: !finished });
        }
        // Read on the API's own connection: the dataset is not there before the worker commits.
        const list = await api.app.inject({ method: 'GET', url: '/datasets' });
        const names = (list.json() as { items: Array<{ name: string }> }).items.map((d) => d.name);
        answers.push({
          url: '/datasets',
          status: list.statusCode,
          whileIngesting: !finished,
          listed: names.includes('big-log'),
        });
      })();
    }).finally(() => (finished = true));

    const { dataset, created } = await ingestion;
    await probes;
    expect(created).toBe(true);
    expect(dataset.turn_count).toBe(TURNS);
    expect(dataset.conversation_count).toBe(TURNS / 10);
    expect(answers).toEqual([
      { url: '/health/live', status: 200, whileIngesting: true },
      { url: '/health/ready', status: 200, whileIngesting: true },
      { url: '/datasets', status: 200, whileIngesting: true, listed: false },
    ]);
    // Progress events came from the worker, in order, up to every row of the file.
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.map((p) => p.rows)).toEqual([...progress.map((p) => p.rows)].sort((a, b) => a - b));
    // Rows read: every turn, and every user turn with an intent once more as a labelled example.
    expect(progress.at(-1)!.rows).toBe(dataset.turn_count + dataset.example_count);
    expect(progress.at(-1)!.totalBytes).toBeGreaterThan(0);

    const list = await api.app.inject({ method: 'GET', url: '/datasets' });
    expect((list.json() as { items: Array<{ name: string }> }).items.map((d) => d.name)).toContain('big-log');
  });

  it('a bad line near the end fails with a 400 naming it, and nothing of the log is stored', async () => {
    const before = await tableCounts(api.lab);
    // Several read batches (64 KB each) are stored before the bad last line is reached.
    writeLog(path.join(datasetDir, 'broken-log.jsonl'), BROKEN_TURNS, '{"conversation_id": "c-last", "speaker": \n');
    const res = await api.app.inject({
      method: 'POST',
      url: '/datasets/upload',
      payload: { dataset_type: 'jsonl', file_path: 'broken-log.jsonl', name: 'broken-log' },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json() as { error: { code: string; message: string; details: unknown[] } };
    expect(body.error.code).toBe('VALIDATION_ERROR');
    expect(body.error.message).toMatch(new RegExp(`line ${BROKEN_TURNS + 1}`));
    expect(await tableCounts(api.lab)).toEqual(before);
    expect(body.error.details).toEqual([expect.objectContaining({ field: 'file' })]);
  });
});
