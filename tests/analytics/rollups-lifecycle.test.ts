import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { labelTurns } from '../../src/analytics/label.js';
import { createBackup } from '../../src/backup/backup.js';
import { restoreBackup } from '../../src/backup/restore.js';
import { ingestDataset } from '../../src/datasets/ingest.js';
import { deleteDataset } from '../../src/datasets/repository.js';
import { flowRollupsMigration } from '../../src/db/migrations/0011_flow_rollups.js';
import { sessionRollupsMigration } from '../../src/db/migrations/0016_session_rollups.js';
import { recordDecisions } from '../../src/review/decisions.js';
import { refreshRollupsForTurns } from '../../src/analytics/rollups/maintain.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import {
  expectFlowAnswers,
  expectRollupAnswers,
  expectRollupsFresh,
  expectSame,
  predictor,
  rollupRows,
  writeLog,
} from './rollup-fixtures.js';

describeEachDialect("analytics rollups through a dataset's life", (dialect) => {
  let lab: TestLab;
  const datasets: number[] = [];
  beforeAll(async () => {
    lab = await createTestLab(dialect);
    for (const seed of [4, 5, 6]) {
      const file = path.join(lab.dir, `log-${seed}.jsonl`);
      writeLog(file, seed);
      const { dataset } = await ingestDataset(lab, { type: 'jsonl', path: file, name: `log-${seed}` });
      datasets.push(dataset.id);
    }
    await labelTurns(lab, { datasetId: datasets[0]!, batchSize: 32 }, { predictor: predictor(7) });
  });
  afterAll(async () => lab.cleanup());

  it('stay as they are after a review decision, which does not change the effective intent', async () => {
    const before = await rollupRows(lab);
    const turn = await lab.db.kysely
      .selectFrom('turns')
      .select('id')
      .where('dataset_id', '=', datasets[0]!)
      .where('predicted_intent', 'is not', null)
      .orderBy('id')
      .executeTakeFirstOrThrow();
    await recordDecisions(lab, [{ turn_id: Number(turn.id), decision: 'accept' }], { reviewer: 'ann' });
    // The flow rollups included: a decision moves no path count.
    expectSame(await rollupRows(lab), before, 'rollups after a decision');
    await expectRollupsFresh(lab);
    await expectFlowAnswers(lab, datasets);
  });

  it("follow turns appended to existing conversations, as the prediction log's batches append them", async () => {
    // Longer conversations, a later last turn, a first turn moved a day earlier, and a timestamp
    // given to a conversation that had none: lengths, durations and days all move.
    const conversations = await lab.db.kysely
      .selectFrom('conversations')
      .select(['id', 'turn_count'])
      .where('dataset_id', '=', datasets[1]!)
      .orderBy('id')
      .limit(6)
      .execute();
    const ids: number[] = [];
    for (const [i, c] of conversations.entries()) {
      const ts = i % 3 === 0 ? 1_700_000_000_000 - 86_400_000 : i % 3 === 1 ? 1_800_000_000_000 : null;
      const row = await lab.db.kysely
        .insertInto('turns')
        .values({
          conversation_id: c.id,
          dataset_id: datasets[1]!,
          idx: Number(c.turn_count) + 10,
          speaker: 'USER',
          text: `appended ${i}`,
          intent: i % 2 ? 'greet' : null,
          ts,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      ids.push(Number(row.id));
      // The conversation's own totals, kept by every writer of turns (the raw answers read them).
      const t = sql`cast(${ts} as bigint)`;
      await sql`update conversations set turn_count = turn_count + 1,
        started_at = case when ${t} is null or started_at <= ${t} then started_at else ${t} end,
        ended_at = case when ${t} is null or ended_at >= ${t} then ended_at else ${t} end
        where id = ${c.id}`.execute(lab.db.kysely);
    }
    await lab.db.kysely.transaction().execute((trx) => refreshRollupsForTurns(trx, dialect, ids));
    await expectRollupsFresh(lab);
    await expectRollupAnswers(lab, 505, datasets, 3);
  });

  it('are built for existing data by migrations 0011 and 0016', async () => {
    const before = await rollupRows(lab);
    expect(before.flowPaths.rows.length).toBeGreaterThan(0);
    // Its down and up, run directly: later migrations stay applied, as on a real upgrade's data.
    await flowRollupsMigration(dialect).down!(lab.db.kysely);
    await flowRollupsMigration(dialect).up(lab.db.kysely);
    expectSame(await rollupRows(lab), before, 'rollups after migration 0011');
    await sessionRollupsMigration(dialect).down!(lab.db.kysely);
    await sessionRollupsMigration(dialect).up(lab.db.kysely);
    expectSame(await rollupRows(lab), before, 'rollups after migration 0016');
  });

  it('go with a deleted dataset and come back with a restore', async () => {
    const backup = (await createBackup(lab)).file;
    const before = await rollupRows(lab);
    expect(before.flowPaths.rows.some((r) => Number((r as { dataset_id: number }).dataset_id) === datasets[2]!)).toBe(
      true,
    );
    await deleteDataset(lab, datasets[2]!);
    const { rows } = await sql<{ n: number }>`
      select count(*) as n from conversation_rollups where dataset_id = ${datasets[2]!}`.execute(lab.db.kysely);
    expect(Number(rows[0]!.n)).toBe(0);
    for (const table of ['flow_nodes', 'flow_links', 'flow_paths']) {
      const left = await sql<{ n: number }>`
        select count(*) as n from ${sql.table(table)} where dataset_id = ${datasets[2]!}`.execute(lab.db.kysely);
      expect(Number(left.rows[0]!.n), table).toBe(0);
    }
    await expectRollupsFresh(lab);
    await expectFlowAnswers(lab, datasets.slice(0, 2));
    await expectRollupAnswers(lab, 303, datasets.slice(0, 2), 5);

    await restoreBackup(lab, backup);
    expectSame(await rollupRows(lab), before, 'restored rollups');
    await expectRollupsFresh(lab);
    await expectFlowAnswers(lab, datasets);
    await expectRollupAnswers(lab, 404, datasets, 3);
  });
});
