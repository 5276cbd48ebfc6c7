import type { Kysely, Migration } from 'kysely';
import { buildSessions } from '../../analytics/rollups/sessions.js';
import type { Dialect } from '../connection.js';

/**
 * Session rollups per dataset (src/analytics/rollups/sessions.ts): conversations by the day of
 * their first turn and their length, with their summed durations. Built here from the
 * conversation rollups of migration 0010.
 */
export function sessionRollupsMigration(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('session_rollups')
        .addColumn('dataset_id', 'integer', (c) => c.notNull())
        .addColumn('bucket_day', 'bigint')
        .addColumn('turns', 'integer', (c) => c.notNull())
        .addColumn('conversations', 'integer', (c) => c.notNull())
        .addColumn('duration_sum', 'bigint', (c) => c.notNull())
        .addColumn('with_time', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('session_rollups_key_idx')
        .on('session_rollups')
        .columns(['dataset_id', 'bucket_day', 'turns'])
        .execute();
      await buildSessions(db);
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('session_rollups').ifExists().execute();
    },
  };
}
