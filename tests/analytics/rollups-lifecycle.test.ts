import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { labelTurns } from '../../src/analytics/label.js';
import { createBackup } from '../../src/backup/backup.js';
import { restoreBackup } from '../../src/backup/restore.js';
import { ingestDataset } from '../../src/datasets/ingest.js';
import { deleteDataset } from '../../src/datasets/repository.js';
import { recordDecisions } from '../../src/review/decisions.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import {
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
    expectSame(await rollupRows(lab), before, 'rollups after a decision');
    await expectRollupsFresh(lab);
  });

  it('go with a deleted dataset and come back with a restore', async () => {
    const backup = (await createBackup(lab)).file;
    const before = await rollupRows(lab);
    await deleteDataset(lab, datasets[2]!);
    const { rows } = await sql<{ n: number }>`
      select count(*) as n from conversation_rollups where dataset_id = ${datasets[2]!}`.execute(lab.db.kysely);
    expect(Number(rows[0]!.n)).toBe(0);
    await expectRollupsFresh(lab);
    await expectRollupAnswers(lab, 303, datasets.slice(0, 2), 5);

    await restoreBackup(lab, backup);
    expectSame(await rollupRows(lab), before, 'restored rollups');
    await expectRollupsFresh(lab);
    await expectRollupAnswers(lab, 404, datasets, 3);
  });
});
