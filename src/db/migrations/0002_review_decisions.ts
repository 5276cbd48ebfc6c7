import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../connection.js';

/**
 * Review decisions on logged user turns (the improvement loop). A decision never changes the
 * turn itself: the original label and prediction stay as logged, and the latest decision per turn
 * wins while the history is kept (one row per decision).
 */
export function reviewDecisionsMigration(dialect: Dialect): Migration {
  const idType = dialect === 'postgres' ? 'serial' : 'integer';
  const nowIso =
    dialect === 'postgres'
      ? sql`(to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`
      : sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('review_decisions')
        .addColumn('id', idType, (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('dataset_id', 'integer', (c) => c.notNull().references('datasets.id').onDelete('cascade'))
        .addColumn('turn_id', 'integer', (c) => c.notNull().references('turns.id').onDelete('cascade'))
        .addColumn('decision', 'text', (c) => c.notNull())
        .addColumn('intent', 'text')
        .addColumn('predicted_intent', 'text')
        .addColumn('reviewer', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull().defaultTo('review'))
        .addColumn('cluster_id', 'integer')
        .addColumn('created_at', 'text', (c) => c.notNull().defaultTo(nowIso))
        .execute();
      await db.schema
        .createIndex('review_decisions_turn_idx')
        .on('review_decisions')
        .columns(['dataset_id', 'turn_id', 'id'])
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('review_decisions').execute();
    },
  };
}
