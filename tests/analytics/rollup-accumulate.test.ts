import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ingestDataset } from '../../src/datasets/ingest.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import { fixtures } from '../datasets/interop-helpers.js';
import { expectRollupsFresh, rollupRows } from './rollup-fixtures.js';

/**
 * A fresh ingestion sums its rollups in memory as the turns stream by
 * (src/analytics/rollups/accumulate.ts); every other writer uses the SQL of rollups/build.ts.
 * The two must agree row for row: an ingestion's rollups equal a rebuild from its turns.
 */
describeEachDialect('rollups summed during ingestion', (dialect) => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await createTestLab(dialect);
  });
  afterAll(async () => lab?.cleanup());

  it('equal a rebuild from the turns: interleaved conversations, other speakers, times before 1970 and none, repeated intents', async () => {
    const day = 86_400_000;
    const rows = [];
    // Three conversations whose turns interleave, so each one's path is summed across batches.
    for (let i = 0; i < 60; i++) {
      const c = i % 3;
      const speaker = ['user', 'bot', 'Agent Smith', 'customer'][i % 4]!;
      const ts = c === 0 ? null : c === 1 ? -3 * day + i * 3_600_000 + 17 : 5 * day - i * 61_000;
      const intent = i % 5 === 0 ? null : ['card_arrival', 'card_arrival', 'top_up', 'refund'][(i * 7) % 4];
      rows.push({
        conversation_id: `c${c}`,
        speaker,
        text: `turn ${i} is ${i % 2 ? 'great' : 'awful'}`,
        intent,
        timestamp: ts,
      });
    }
    const file = path.join(lab.dir, 'mixed.jsonl');
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    await ingestDataset(lab, { type: 'jsonl', path: file, name: 'mixed' });
    // Predictions and confidences come with the Rasa trackers; these sit on the fallback threshold.
    await ingestDataset(lab, { type: 'rasa-tracker', path: path.join(fixtures, 'rasa-tracker') });
    const edge = path.join(lab.dir, 'edge.json');
    const user = (text: string, confidence: number, timestamp: number) => ({
      event: 'user',
      text,
      timestamp,
      parse_data: { intent: { name: 'top_up', confidence } },
    });
    const events = [user('a', 0.5, 1e9), { event: 'bot', text: 'b', timestamp: 1e9 + 1 }, user('c', 0.4999, 1e9 + 2)];
    writeFileSync(edge, JSON.stringify({ sender_id: 'edge', events }));
    await ingestDataset(lab, { type: 'rasa-tracker', path: edge, name: 'edge' });

    const kept = await rollupRows(lab);
    const daily = kept.hourly.rows as Array<{ speaker: string; bucket_day: number | null; below_default: number }>;
    expect(kept.conversations.rows.length).toBeGreaterThan(3);
    expect(daily.some((r) => r.speaker === 'AGENT SMITH')).toBe(true);
    expect(daily.some((r) => Number(r.bucket_day) < 0)).toBe(true);
    expect(daily.some((r) => Number(r.below_default) > 0)).toBe(true);
    await expectRollupsFresh(lab);
  });
});
