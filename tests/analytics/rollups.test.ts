import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { labelTurns } from '../../src/analytics/label.js';
import { ingestDataset } from '../../src/datasets/ingest.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import { expectFlowAnswers, expectRollupAnswers, expectRollupsFresh, predictor, writeLog } from './rollup-fixtures.js';

describeEachDialect('analytics rollups', (dialect) => {
  let lab: TestLab;
  const datasets: number[] = [];
  beforeAll(async () => {
    lab = await createTestLab(dialect);
    for (const seed of [1, 2, 3]) {
      const file = path.join(lab.dir, `log-${seed}.jsonl`);
      writeLog(file, seed);
      const { dataset } = await ingestDataset(lab, { type: 'jsonl', path: file, name: `log-${seed}` });
      datasets.push(dataset.id);
    }
  });
  afterAll(async () => lab.cleanup());

  it('are written with the ingested turns', async () => {
    const { rows } = await sql<{ n: number }>`select sum(turns) as n from turn_rollups_daily`.execute(lab.db.kysely);
    const turns = await lab.db.kysely
      .selectFrom('turns')
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirst();
    expect(Number(rows[0]!.n)).toBe(Number(turns!.n));
    expect(Number(turns!.n)).toBeGreaterThan(100);
    await expectRollupsFresh(lab);
    await expectFlowAnswers(lab, datasets);
  });

  it('answer every analytics kind as the raw queries do, on random filters', async () => {
    // Two datasets labelled (in batches that cross conversations), one left with given labels only.
    await labelTurns(lab, { datasetId: datasets[0]!, batchSize: 7 }, { predictor: predictor(11) });
    await labelTurns(lab, { datasetId: datasets[1]!, batchSize: 50 }, { predictor: predictor(12) });
    await expectRollupsFresh(lab);
    await expectRollupAnswers(lab, 101, datasets, 25);
  });

  it('follow a relabel with another model, moving path counts from the old paths to the new', async () => {
    const paths = () =>
      sql<{ path: string; n: number }>`select path, conversations as n from flow_paths
        where dataset_id = ${datasets[0]!} order by path_key`.execute(lab.db.kysely);
    const before = (await paths()).rows;
    await labelTurns(lab, { datasetId: datasets[0]!, relabel: true, batchSize: 16 }, { predictor: predictor(21) });
    // Another model's predictions change the paths of the conversations with unlabelled user turns.
    expect((await paths()).rows).not.toEqual(before);
    await expectRollupsFresh(lab);
    await expectFlowAnswers(lab, datasets);
    await expectRollupAnswers(lab, 202, datasets, 10);
  });
});
