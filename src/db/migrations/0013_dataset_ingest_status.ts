import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../connection.js';

/**
 * A dataset's ingestion state and its owner's sign of life. Large ingestions commit in chunks so
 * they never hold SQLite's single writer for long; until the last commit the dataset is
 * `ingesting` and every reader ignores it. The owner (`host:pid:token`) and heartbeat let the
 * start-up sweep remove a dataset whose ingesting process died without touching one that another
 * live process is still writing.
 */
export function datasetIngestStatusMigration(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .alterTable('datasets')
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('ready'))
        .execute();
      await db.schema.alterTable('datasets').addColumn('ingest_owner', 'text').execute();
      await db.schema.alterTable('datasets').addColumn('ingest_heartbeat_at', 'bigint').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('datasets').dropColumn('ingest_heartbeat_at').execute();
      await db.schema.alterTable('datasets').dropColumn('ingest_owner').execute();
      await db.schema.alterTable('datasets').dropColumn('status').execute();
    },
  };
}
