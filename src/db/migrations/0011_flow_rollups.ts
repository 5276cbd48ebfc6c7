import { sql, type Kysely, type Migration } from 'kysely';
import { buildFlows } from '../../analytics/rollups/flows.js';
import type { Dialect } from '../connection.js';

/**
 * Flow rollups per dataset (src/analytics/rollups/flows.ts): steps, entries and exits per intent,
 * transitions per source -> target and conversations per distinct path, indexed by count for the
 * top paths; an index on each conversation's duration, so the overview's median is read at an
 * offset down the index instead of ranking every conversation, and one that serves the length
 * histogram. Built here from the conversation rollups of migration 0010.
 */
export function flowRollupsMigration(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('flow_nodes')
        .addColumn('dataset_id', 'integer', (c) => c.notNull())
        .addColumn('intent', 'text', (c) => c.notNull())
        .addColumn('steps', 'integer', (c) => c.notNull())
        .addColumn('entries', 'integer', (c) => c.notNull())
        .addColumn('exits', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('flow_nodes_pk', ['dataset_id', 'intent'])
        .execute();
      await db.schema
        .createTable('flow_links')
        .addColumn('dataset_id', 'integer', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('transitions', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('flow_links_pk', ['dataset_id', 'source', 'target'])
        .execute();
      await db.schema
        .createTable('flow_paths')
        .addColumn('dataset_id', 'integer', (c) => c.notNull())
        .addColumn('path_key', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('conversations', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('flow_paths_pk', ['dataset_id', 'path_key'])
        .execute();
      await db.schema
        .createIndex('flow_paths_count_idx')
        .on('flow_paths')
        .columns(['dataset_id', 'conversations'])
        .execute();
      // The length histogram of a dataset's conversations (overview, sessions) from the index
      // alone, already in length order.
      await db.schema
        .createIndex('conversation_rollups_length_idx')
        .on('conversation_rollups')
        .columns(['dataset_id', 'turns', 'first_ts', 'last_ts'])
        .execute();
      // The expression the overview orders by (src/analytics/overview.ts), spelt the same.
      await sql`create index conversation_rollups_duration_idx
        on conversation_rollups (dataset_id, (last_ts - first_ts))`.execute(db);

      await buildFlows(db);
    },
    async down(db: Kysely<any>) {
      await sql`drop index if exists conversation_rollups_duration_idx`.execute(db);
      await sql`drop index if exists conversation_rollups_length_idx`.execute(db);
      for (const table of ['flow_paths', 'flow_links', 'flow_nodes']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}
