import { type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../connection.js';
import { columnHelpers } from './columns.js';

/**
 * Review decisions on logged user turns (the improvement loop). A decision never changes the
 * turn itself: the original label and prediction stay as logged, and the latest decision per turn
 * wins while the history is kept (one row per decision).
 */
export function reviewDecisionsMigration(dialect: Dialect): Migration {
  const { idType, id, createdAt } = columnHelpers(dialect);
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('review_decisions')
        .addColumn('id', idType, id)
        .addColumn('dataset_id', 'integer', (c) => c.notNull().references('datasets.id').onDelete('cascade'))
        .addColumn('turn_id', 'integer', (c) => c.notNull().references('turns.id').onDelete('cascade'))
        .addColumn('decision', 'text', (c) => c.notNull())
        .addColumn('intent', 'text')
        .addColumn('predicted_intent', 'text')
        .addColumn('reviewer', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull().defaultTo('review'))
        .addColumn('cluster_id', 'integer')
        .addColumn('created_at', 'text', createdAt)
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
