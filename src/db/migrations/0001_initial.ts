import { type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../connection.js';
import { columnHelpers } from './columns.js';

/** The tables the product needs from day one. Later changes come as new migrations. */
export function initialMigration(dialect: Dialect): Migration {
  const { idType, id, createdAt } = columnHelpers(dialect);

  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('datasets')
        .addColumn('id', idType, id)
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('checksum', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('preprocess', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('split_counts', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('label_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('example_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('conversation_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('turn_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('validation', 'text')
        .addColumn('created_at', 'text', createdAt)
        .addUniqueConstraint('datasets_name_version_unique', ['name', 'version'])
        .execute();
      await db.schema.createIndex('datasets_checksum_idx').on('datasets').column('checksum').execute();

      await db.schema
        .createTable('examples')
        .addColumn('id', idType, id)
        .addColumn('dataset_id', 'integer', (c) => c.notNull().references('datasets.id').onDelete('cascade'))
        .addColumn('split', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('norm_text', 'text', (c) => c.notNull())
        .addColumn('label', 'text')
        .addColumn('metadata', 'text')
        .execute();
      await db.schema
        .createIndex('examples_dataset_split_idx')
        .on('examples')
        .columns(['dataset_id', 'split'])
        .execute();
      await db.schema
        .createIndex('examples_dataset_label_idx')
        .on('examples')
        .columns(['dataset_id', 'label'])
        .execute();

      await db.schema
        .createTable('conversations')
        .addColumn('id', idType, id)
        .addColumn('dataset_id', 'integer', (c) => c.notNull().references('datasets.id').onDelete('cascade'))
        .addColumn('external_id', 'text', (c) => c.notNull())
        .addColumn('split', 'text')
        .addColumn('turn_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('started_at', 'bigint')
        .addColumn('ended_at', 'bigint')
        .addColumn('metadata', 'text')
        .execute();
      await db.schema
        .createIndex('conversations_dataset_idx')
        .on('conversations')
        .columns(['dataset_id', 'external_id'])
        .execute();

      await db.schema
        .createTable('turns')
        .addColumn('id', idType, id)
        .addColumn('conversation_id', 'integer', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
        .addColumn('dataset_id', 'integer', (c) => c.notNull().references('datasets.id').onDelete('cascade'))
        .addColumn('idx', 'integer', (c) => c.notNull())
        .addColumn('speaker', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('intent', 'text')
        .addColumn('predicted_intent', 'text')
        .addColumn('confidence', 'double precision')
        .addColumn('sentiment', 'double precision')
        .addColumn('ts', 'bigint')
        .addColumn('metadata', 'text')
        .execute();
      await db.schema.createIndex('turns_conversation_idx').on('turns').columns(['conversation_id', 'idx']).execute();
      await db.schema
        .createIndex('turns_dataset_speaker_idx')
        .on('turns')
        .columns(['dataset_id', 'speaker', 'ts'])
        .execute();
      // Analytics (src/analytics): covering indexes, so the dashboard's aggregations read narrow
      // index pages instead of the wide turn rows (text, metadata). Label columns first serve the
      // intent/fallback/sentiment GROUP BYs in index order; the conversation-ordered one feeds the
      // flow window (LAG by conversation, ordered by idx) and per-conversation sentiment unsorted.
      await db.schema
        .createIndex('turns_analytics_idx')
        .on('turns')
        .columns(['dataset_id', 'speaker', 'intent', 'predicted_intent', 'ts', 'confidence', 'sentiment'])
        .execute();
      await db.schema
        .createIndex('turns_flow_idx')
        .on('turns')
        .columns(['dataset_id', 'speaker', 'conversation_id', 'idx', 'intent', 'predicted_intent', 'sentiment'])
        .execute();

      await db.schema
        .createTable('experiments')
        .addColumn('id', idType, id)
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text')
        .addColumn('created_at', 'text', createdAt)
        .execute();

      await db.schema
        .createTable('runs')
        .addColumn('id', idType, id)
        .addColumn('experiment_id', 'integer', (c) => c.notNull().references('experiments.id').onDelete('cascade'))
        .addColumn('parent_run_id', 'integer', (c) => c.references('runs.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('dataset_id', 'integer', (c) => c.references('datasets.id').onDelete('set null'))
        .addColumn('model_type', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('queued'))
        .addColumn('tags', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('summary_metrics', 'text')
        .addColumn('error', 'text')
        .addColumn('run_dir', 'text')
        .addColumn('git_commit', 'text')
        .addColumn('started_at', 'text')
        .addColumn('ended_at', 'text')
        .addColumn('duration_ms', 'bigint')
        .addColumn('created_at', 'text', createdAt)
        .execute();
      await db.schema.createIndex('runs_status_idx').on('runs').columns(['status', 'created_at']).execute();

      await db.schema
        .createTable('run_params')
        .addColumn('run_id', 'integer', (c) => c.notNull().references('runs.id').onDelete('cascade'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_params_pk', ['run_id', 'key'])
        .execute();

      await db.schema
        .createTable('metric_history')
        .addColumn('id', idType, id)
        .addColumn('run_id', 'integer', (c) => c.notNull().references('runs.id').onDelete('cascade'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('step', 'integer', (c) => c.notNull())
        .addColumn('value', 'double precision', (c) => c.notNull())
        .addColumn('ts', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('metric_history_run_idx')
        .on('metric_history')
        .columns(['run_id', 'key', 'step'])
        .execute();

      await db.schema
        .createTable('artifacts')
        .addColumn('id', idType, id)
        .addColumn('run_id', 'integer', (c) => c.notNull().references('runs.id').onDelete('cascade'))
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('size_bytes', 'bigint', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', createdAt)
        .execute();

      await db.schema
        .createTable('model_versions')
        .addColumn('id', idType, id)
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('run_id', 'integer', (c) => c.references('runs.id').onDelete('set null'))
        .addColumn('model_type', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('labels', 'text', (c) => c.notNull())
        .addColumn('metrics', 'text')
        .addColumn('description', 'text')
        .addColumn('created_at', 'text', createdAt)
        .addUniqueConstraint('model_versions_name_version_unique', ['name', 'version'])
        .execute();

      await db.schema
        .createTable('model_aliases')
        .addColumn('alias', 'text', (c) => c.primaryKey())
        .addColumn('model_version_id', 'integer', (c) =>
          c.notNull().references('model_versions.id').onDelete('cascade'),
        )
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('jobs')
        .addColumn('id', idType, id)
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('queued'))
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('progress', 'text')
        .addColumn('result', 'text')
        .addColumn('error', 'text')
        .addColumn('run_id', 'integer', (c) => c.references('runs.id').onDelete('set null'))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('max_attempts', 'integer', (c) => c.notNull().defaultTo(3))
        .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('locked_by', 'text')
        .addColumn('heartbeat_at', 'bigint')
        .addColumn('created_at', 'text', createdAt)
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('jobs_status_idx').on('jobs').columns(['status', 'id']).execute();

      // Run progress events written by whichever process executes the run, so the SSE stream of
      // any API instance can relay them (scale-out).
      await db.schema
        .createTable('run_events')
        .addColumn('id', idType, id)
        .addColumn('run_id', 'integer', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('ts', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('run_events_run_idx').on('run_events').columns(['run_id', 'id']).execute();

      await db.schema
        .createTable('alerts')
        .addColumn('id', idType, id)
        .addColumn('rule', 'text', (c) => c.notNull())
        .addColumn('metric', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('value', 'double precision', (c) => c.notNull())
        .addColumn('threshold', 'double precision', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('resolved_at', 'text')
        .execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('id', idType, id)
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', createdAt)
        .addColumn('last_used_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute();

      await db.schema
        .createTable('request_samples')
        .addColumn('id', idType, id)
        .addColumn('ts', 'bigint', (c) => c.notNull())
        .addColumn('route', 'text', (c) => c.notNull())
        .addColumn('requests', 'integer', (c) => c.notNull())
        .addColumn('errors', 'integer', (c) => c.notNull())
        .addColumn('p50_ms', 'double precision')
        .addColumn('p95_ms', 'double precision')
        .addColumn('p99_ms', 'double precision')
        .execute();
      await db.schema.createIndex('request_samples_ts_idx').on('request_samples').column('ts').execute();
    },

    async down(db: Kysely<any>) {
      for (const table of [
        'request_samples',
        'api_keys',
        'alerts',
        'run_events',
        'jobs',
        'model_aliases',
        'model_versions',
        'artifacts',
        'metric_history',
        'run_params',
        'runs',
        'experiments',
        'turns',
        'conversations',
        'examples',
        'datasets',
      ]) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}
