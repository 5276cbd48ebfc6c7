import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, migrationStatus } from '../../src/db/migrate.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';

const tables = [
  'datasets',
  'examples',
  'conversations',
  'turns',
  'experiments',
  'runs',
  'run_params',
  'metric_history',
  'artifacts',
  'model_versions',
  'model_aliases',
  'jobs',
  'alerts',
  'api_keys',
  'review_decisions',
  'request_samples',
];

describeEachDialect('storage', (dialect) => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await createTestLab(dialect);
  });
  afterAll(async () => lab?.cleanup());

  it('applies every migration on a fresh database and reports none pending', async () => {
    const status = await migrationStatus(lab.db);
    expect(status.pending).toEqual([]);
    expect(status.applied).toContain('0001_initial');
  });

  it('is idempotent: migrating again changes nothing', async () => {
    const results = await migrateToLatest(lab.db);
    expect(results).toEqual([]);
  });

  it('creates every table the product needs', async () => {
    const found = (await lab.db.kysely.introspection.getTables()).map((t) => t.name);
    for (const table of tables) expect(found).toContain(table);
  });

  it('round-trips rows with generated ids, defaults, bigint times and doubles', async () => {
    const k = lab.db.kysely;
    const ds = await k
      .insertInto('datasets')
      .values({ name: 'demo', type: 'csv', source: 'x.csv', checksum: 'abc', version: 1 })
      .returning(['id', 'created_at', 'version', 'split_counts'])
      .executeTakeFirstOrThrow();
    expect(ds.id).toBeGreaterThan(0);
    expect(ds.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(ds.split_counts).toBe('{}');
    const conv = await k
      .insertInto('conversations')
      .values({ dataset_id: ds.id, external_id: 'c1', turn_count: 1 })
      .returning('id')
      .executeTakeFirstOrThrow();
    const ts = Date.UTC(2026, 0, 2, 3, 4, 5);
    await k
      .insertInto('turns')
      .values({
        conversation_id: conv.id,
        dataset_id: ds.id,
        idx: 0,
        speaker: 'USER',
        text: 'hi',
        ts,
        confidence: 0.125,
      })
      .execute();
    const turn = await k
      .selectFrom('turns')
      .selectAll()
      .where('conversation_id', '=', conv.id)
      .executeTakeFirstOrThrow();
    expect(turn.ts).toBe(ts);
    expect(turn.confidence).toBe(0.125);
    const count = await k
      .selectFrom('turns')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(count.n).toBe(1);
  });

  it('enforces foreign keys and cascades dataset deletion to its rows', async () => {
    const k = lab.db.kysely;
    await expect(
      k.insertInto('examples').values({ dataset_id: 999_999, split: 'train', text: 't', norm_text: 't' }).execute(),
    ).rejects.toThrow();
    const ds = await k
      .insertInto('datasets')
      .values({ name: 'cascade', type: 'csv', source: 's', checksum: 'c2' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await k
      .insertInto('examples')
      .values({ dataset_id: ds.id, split: 'train', text: 'a', norm_text: 'a', label: 'x' })
      .execute();
    await k.deleteFrom('datasets').where('id', '=', ds.id).execute();
    const left = await k.selectFrom('examples').select('id').where('dataset_id', '=', ds.id).execute();
    expect(left).toEqual([]);
  });

  it('rolls back a failed transaction completely', async () => {
    const k = lab.db.kysely;
    await expect(
      k.transaction().execute(async (trx) => {
        await trx.insertInto('experiments').values({ name: 'tx-test' }).execute();
        await trx.insertInto('experiments').values({ name: 'tx-test' }).execute(); // unique violation
      }),
    ).rejects.toThrow();
    const rows = await k.selectFrom('experiments').select('id').where('name', '=', 'tx-test').execute();
    expect(rows).toEqual([]);
  });

  it.runIf(dialect === 'sqlite')('runs SQLite in WAL mode with foreign keys on', async () => {
    const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(lab.db.kysely);
    expect(mode.rows[0]?.journal_mode).toBe('wal');
    const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(lab.db.kysely);
    expect(fk.rows[0]?.foreign_keys).toBe(1);
  });
});

describe('migrations on a database that cannot be reached', () => {
  it('fail with a clear message', async () => {
    const { openDb } = await import('../../src/db/connection.js');
    const db = openDb('postgres://nobody@127.0.0.1:1/none');
    await expect(migrateToLatest(db)).rejects.toThrow(/ECONNREFUSED|connect/);
    await db.close();
  });
});
