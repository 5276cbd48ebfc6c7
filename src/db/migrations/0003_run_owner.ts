import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../connection.js';

/**
 * The process executing a run and its last sign of life. Synchronous runs have no job row and
 * lease, so without these a start-up sweep cannot tell a run whose process died from one that a
 * `chatlab train` in another terminal is executing right now.
 */
export function runOwnerMigration(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('runs').addColumn('owner', 'text').execute();
      await db.schema.alterTable('runs').addColumn('heartbeat_at', 'bigint').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('runs').dropColumn('heartbeat_at').execute();
      await db.schema.alterTable('runs').dropColumn('owner').execute();
    },
  };
}
