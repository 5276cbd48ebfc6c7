import { type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../connection.js';
import { columnHelpers } from './columns.js';

/**
 * Intent discovery: a run clusters a log's unrecognised user turns; each cluster is a candidate
 * intent with its member turns. Deleting the log deletes its runs, clusters and memberships.
 */
export function discoveryMigration(dialect: Dialect): Migration {
  const { idType, id, createdAt } = columnHelpers(dialect);
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('discovery_runs')
        .addColumn('id', idType, id)
        .addColumn('dataset_id', 'integer', (c) => c.notNull().references('datasets.id').onDelete('cascade'))
        .addColumn('pool', 'text', (c) => c.notNull())
        .addColumn('params', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('progress', 'text')
        .addColumn('pool_size', 'integer')
        .addColumn('clustered', 'integer')
        .addColumn('error', 'text')
        .addColumn('job_id', 'integer')
        .addColumn('created_at', 'text', createdAt)
        .addColumn('finished_at', 'text')
        .execute();
      await db.schema
        .createIndex('discovery_runs_dataset_idx')
        .on('discovery_runs')
        .columns(['dataset_id', 'id'])
        .execute();
      await db.schema
        .createTable('discovery_clusters')
        .addColumn('id', idType, id)
        .addColumn('run_id', 'integer', (c) => c.notNull().references('discovery_runs.id').onDelete('cascade'))
        .addColumn('dataset_id', 'integer', (c) => c.notNull().references('datasets.id').onDelete('cascade'))
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('name_suggestion', 'text', (c) => c.notNull())
        .addColumn('terms', 'text', (c) => c.notNull())
        .addColumn('nearest_intents', 'text', (c) => c.notNull())
        .addColumn('trend', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('open'))
        .addColumn('intent', 'text')
        .addColumn('decided_by', 'text')
        .addColumn('decided_at', 'text')
        .execute();
      await db.schema.createIndex('discovery_clusters_run_idx').on('discovery_clusters').columns(['run_id']).execute();
      await db.schema
        .createTable('discovery_members')
        .addColumn('cluster_id', 'integer', (c) => c.notNull().references('discovery_clusters.id').onDelete('cascade'))
        .addColumn('turn_id', 'integer', (c) => c.notNull().references('turns.id').onDelete('cascade'))
        .addColumn('similarity', 'double precision', (c) => c.notNull())
        .addPrimaryKeyConstraint('discovery_members_pk', ['cluster_id', 'turn_id'])
        .execute();
      // Deleting a log deletes its turns; each turn's cascade looks its members up by turn_id.
      await db.schema.createIndex('discovery_members_turn_idx').on('discovery_members').column('turn_id').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('discovery_members').execute();
      await db.schema.dropTable('discovery_clusters').execute();
      await db.schema.dropTable('discovery_runs').execute();
    },
  };
}
