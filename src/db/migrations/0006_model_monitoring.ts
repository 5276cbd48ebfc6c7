import { type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../connection.js';
import { columnHelpers } from './columns.js';

/**
 * Model monitoring on live traffic. Each logged prediction is a USER turn of the `prediction_log`
 * dataset (so analytics, labelling and the review queue read it like any conversation log);
 * `prediction_log` keeps what a turn has no column for: the serving model version, the model's
 * own answer (top-k, fallback; a later relabel of the turn does not rewrite it), latency, caller
 * references and the text-derived figures drift needs even when the text is not kept (hashed
 * mode). `model_baselines` holds each registered version's reference profile (JSON).
 */
export function modelMonitoringMigration(dialect: Dialect): Migration {
  const { idType, id, createdAt } = columnHelpers(dialect);
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('prediction_log')
        .addColumn('id', idType, id)
        .addColumn('turn_id', 'integer', (c) => c.notNull().references('turns.id').onDelete('cascade'))
        .addColumn('dataset_id', 'integer', (c) => c.notNull().references('datasets.id').onDelete('cascade'))
        .addColumn('model_name', 'text', (c) => c.notNull())
        .addColumn('model_version', 'integer', (c) => c.notNull())
        .addColumn('ts', 'bigint', (c) => c.notNull())
        .addColumn('intent', 'text', (c) => c.notNull())
        .addColumn('confidence', 'double precision', (c) => c.notNull())
        .addColumn('fallback', 'integer', (c) => c.notNull())
        .addColumn('top', 'text', (c) => c.notNull())
        .addColumn('latency_ms', 'double precision', (c) => c.notNull())
        .addColumn('text_sha256', 'text', (c) => c.notNull())
        .addColumn('text_stored', 'integer', (c) => c.notNull())
        .addColumn('text_length', 'integer', (c) => c.notNull())
        .addColumn('token_count', 'integer', (c) => c.notNull())
        .addColumn('oov_count', 'integer')
        .addColumn('session_id', 'text')
        .addColumn('user_ref', 'text')
        .addColumn('instance', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('prediction_log_version_ts_idx')
        .on('prediction_log')
        .columns(['model_name', 'model_version', 'ts'])
        .execute();
      await db.schema.createIndex('prediction_log_ts_idx').on('prediction_log').column('ts').execute();
      await db.schema.createIndex('prediction_log_turn_idx').on('prediction_log').column('turn_id').execute();

      await db.schema
        .createTable('model_baselines')
        .addColumn('model_version_id', 'integer', (c) =>
          c.primaryKey().references('model_versions.id').onDelete('cascade'),
        )
        .addColumn('model_name', 'text', (c) => c.notNull())
        .addColumn('model_version', 'integer', (c) => c.notNull())
        .addColumn('profile', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', createdAt)
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('model_baselines').execute();
      await db.schema.dropTable('prediction_log').execute();
    },
  };
}
