import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql, type RawBuilder } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFilters, turnWhere } from '../../src/analytics/filters.js';
import { dailySource } from '../../src/analytics/rollups/read.js';
import { ingestDataset } from '../../src/datasets/ingest.js';
import { rebuildRollups } from '../../src/analytics/rollups/rebuild.js';
import { analyzeAfterBulkWrite, statisticsStale } from '../../src/db/statistics.js';
import { writeLog } from '../analytics/rollup-fixtures.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';

describe('statisticsStale', () => {
  it("applies autovacuum's rule: more than 50 + 10 % of the rows at the last ANALYZE", () => {
    expect(statisticsStale(51, -1)).toBe(true); // never analyzed
    expect(statisticsStale(50, 0)).toBe(false);
    expect(statisticsStale(150, 1000)).toBe(false);
    expect(statisticsStale(151, 1000)).toBe(true);
    expect(statisticsStale(1_000_000, 1_000_000)).toBe(true);
  });
});

describeEachDialect('planner statistics after ingestion', (dialect) => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await createTestLab(dialect);
  });
  afterAll(async () => lab.cleanup());

  /** pg_stat_user_tables.last_analyze (manual ANALYZE only; autovacuum sets last_autoanalyze). */
  const lastAnalyze = async (table: string) => {
    const { rows } = await sql<{ at: Date | null }>`
      select last_analyze as at from pg_stat_user_tables where relname = ${table}`.execute(lab.db.kysely);
    return rows[0]?.at ?? null;
  };
  const ingest = async (file: string, name: string) => {
    const { dataset } = await ingestDataset(lab, { type: 'jsonl', path: file, name });
    return dataset;
  };

  it.runIf(dialect === 'postgres')('analyzes the tables a large ingestion grew, not after a small one', async () => {
    const big = path.join(lab.dir, 'big.jsonl');
    writeLog(big, 1);
    expect(await lastAnalyze('turns')).toBeNull();
    const dataset = await ingest(big, 'big');
    expect(dataset.turn_count).toBeGreaterThan(100);
    const analyzed = new Map<string, Date>();
    for (const table of [
      'turns',
      'conversations',
      'turn_rollups_daily',
      'conversation_rollups',
      'conversation_intents',
      'session_rollups',
    ]) {
      const at = await lastAnalyze(table);
      expect(at, table).not.toBeNull();
      analyzed.set(table, at!);
    }
    // The rollups, read from their indexes alone, were VACUUMed too (their visibility map set).
    const vacuumed = await sql<{ relname: string }>`select relname from pg_stat_user_tables
      where last_vacuum is not null order by relname`.execute(lab.db.kysely);
    expect(vacuumed.rows.map((r) => r.relname)).toEqual([
      'conversation_intents',
      'conversation_rollups',
      'session_rollups',
      'turn_rollups_daily',
    ]);
    // A rebuild rewrites the rollups: VACUUMed again.
    const lastVacuum = async () =>
      (
        await sql<{ at: Date }>`select last_vacuum as at from pg_stat_user_tables
          where relname = 'conversation_rollups'`.execute(lab.db.kysely)
      ).rows[0]!.at;
    const before = await lastVacuum();
    await rebuildRollups(lab, { datasetId: dataset.id });
    expect((await lastVacuum()).getTime()).toBeGreaterThan(before.getTime());
    // What the planner now knows: the rows the ingestion committed.
    const { rows } = await sql<{ n: number }>`select reltuples as n from pg_class where relname = 'turns'`.execute(
      lab.db.kysely,
    );
    expect(Number(rows[0]!.n)).toBe(dataset.turn_count);

    // A few turns more than a table of this size: statistics are still good, autovacuum's business.
    const small = path.join(lab.dir, 'small.jsonl');
    writeFileSync(
      small,
      ['hello', 'card lost'].map((text) => JSON.stringify({ conversation_id: 's1', speaker: 'user', text })).join('\n'),
    );
    await ingest(small, 'small');
    expect(await lastAnalyze('turns')).toEqual(analyzed.get('turns'));
  });

  /**
   * PostgreSQL's plan for `statement` after `setup` (planner settings, a dropped index), all in a
   * transaction rolled back afterwards.
   */
  async function planInRolledBack(setup: RawBuilder<unknown>[], statement: RawBuilder<unknown>): Promise<string> {
    let plan = '';
    const rollback = new Error('rollback');
    await expect(
      lab.db.kysely.transaction().execute(async (trx) => {
        for (const s of setup) await s.execute(trx);
        const { rows } = await sql<{ 'QUERY PLAN': string }>`explain ${statement}`.execute(trx);
        plan = rows.map((r) => r['QUERY PLAN']).join('\n');
        throw rollback;
      }),
    ).rejects.toBe(rollback);
    return plan;
  }
  const noScans = [sql`set local enable_seqscan = off`, sql`set local enable_bitmapscan = off`];

  it.runIf(dialect === 'postgres')('reads the N lowest confidences from the indexes of migration 0012', async () => {
    // An index only serves queries whose expressions are its own: this fails if the analytics SQL
    // and migration 0012 drift apart. On a few hundred turns a sequential scan (or the other
    // index plus a filter) would be cheaper, so each case runs without them, rolled back after.
    const cases = [
      { intent: 'greet', index: 'turns_effective_intent_idx', other: 'turns_confidence_idx' },
      { intent: undefined, index: 'turns_confidence_idx', other: 'turns_effective_intent_idx' },
    ];
    for (const { intent, index, other } of cases) {
      const filters = parseFilters({ dataset: 1, ...(intent ? { intent } : {}) });
      const where = turnWhere(filters, { defaultSpeaker: 'USER', intentScope: 'turn' });
      const plan = await planInRolledBack(
        [sql`set local enable_seqscan = off`, sql`drop index ${sql.table(other)}`],
        sql`select t.id, t.confidence from turns t
          where ${where} and t.confidence is not null order by t.confidence asc, t.id asc limit 20`,
      );
      expect(plan).toMatch(new RegExp(`Index (Only )?Scan using ${index}`));
      expect(plan).not.toMatch(/Sort/); // the index order is the answer's order
    }
  });

  it.runIf(dialect === 'sqlite')('reads the N lowest confidences from the index of migration 0015', async () => {
    // With or without an intent filter: the first entries of one index range, no sort.
    for (const intent of [undefined, 'greet']) {
      const filters = parseFilters({ dataset: 1, ...(intent ? { intent } : {}) });
      const where = turnWhere(filters, { defaultSpeaker: 'USER', intentScope: 'turn' });
      const { rows } = await sql<{ detail: string }>`explain query plan select t.id, t.confidence from turns t
        where ${where} and t.confidence is not null order by t.confidence asc, t.id asc limit 20`.execute(
        lab.db.kysely,
      );
      const plan = rows.map((r) => r.detail).join('\n');
      expect(plan).toMatch(/USING COVERING INDEX turns_confidence_idx/);
      expect(plan).not.toMatch(/TEMP B-TREE/);
    }
  });

  it.runIf(dialect === 'postgres')(
    "reads the overview's median duration from the index alone (migration 0015)",
    async () => {
      // The statement of src/analytics/overview.ts; an index-only scan needs the expression's columns
      // in the index, which a plain expression index lacks.
      const plan = await planInRolledBack(
        noScans,
        sql`select cr.last_ts - cr.first_ts as d
          from conversation_rollups cr where cr.dataset_id = 1 and cr.last_ts - cr.first_ts is not null
          order by cr.last_ts - cr.first_ts limit 2 offset 10`,
      );
      expect(plan).toMatch(/Index Only Scan using conversation_rollups_duration_idx/);
    },
  );

  it.runIf(dialect === 'postgres')(
    "reads one intent's daily rollups from the index alone (migration 0017)",
    async () => {
      // The rollup read of src/analytics/fallback.ts under an intent filter: turns, fallback
      // counts and confidences of one intent, day by day.
      const filters = parseFilters({ dataset: 1, intent: 'greet' });
      const plan = await planInRolledBack(
        noScans,
        sql`select r.bucket_day, sum(r.turns), sum(r.below_default), sum(r.scored), sum(r.confidence_sum)
          from (${dailySource(filters, { defaultSpeaker: 'USER' })}) r group by r.bucket_day`,
      );
      expect(plan).toMatch(/Index Only Scan using turn_rollups_daily_intent_idx/);
    },
  );

  it.runIf(dialect === 'postgres')(
    'reports a failed ANALYZE instead of throwing (the write is committed)',
    async () => {
      const grown = { table: 'turns', added: 1_000_000_000 };
      expect(await analyzeAfterBulkWrite(lab.db, grown, ['turns'])).toEqual(['turns']);
      expect(await analyzeAfterBulkWrite(lab.db, grown, ['turns', 'no_such_table'])).toEqual([]);
    },
  );

  it.runIf(dialect === 'sqlite')('leaves SQLite without statistics (its planner does not need them)', async () => {
    const file = path.join(lab.dir, 'log.jsonl');
    writeLog(file, 2);
    await ingest(file, 'log');
    const { rows } = await sql<{ n: number }>`
      select count(*) as n from sqlite_master where name = 'sqlite_stat1'`.execute(lab.db.kysely);
    expect(Number(rows[0]!.n)).toBe(0);
  });
});
