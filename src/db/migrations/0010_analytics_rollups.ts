import type { Kysely, Migration } from 'kysely';
import { refreshAllRollups } from '../../analytics/rollups/maintain.js';
import type { Dialect } from '../connection.js';

/**
 * Write-time analytics rollups (src/analytics/rollups): per dataset x UTC day x speaker x effective
 * intent (`turn_rollups_daily`), per conversation (`conversation_rollups`: lengths, first/last
 * times per speaker, the collapsed user intent path, user sentiment) and the set of effective
 * intents per conversation (`conversation_intents`, for the conversation-scope intent filter).
 * Built here for the turns already stored.
 */
export function analyticsRollupsMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('turn_rollups_daily')
        .addColumn('dataset_id', 'integer', (c) => c.notNull())
        .addColumn('bucket_day', 'bigint')
        .addColumn('speaker', 'text', (c) => c.notNull())
        .addColumn('intent', 'text')
        .addColumn('turns', 'integer', (c) => c.notNull())
        .addColumn('predicted', 'integer', (c) => c.notNull())
        .addColumn('scored', 'integer', (c) => c.notNull())
        .addColumn('confidence_sum', 'double precision', (c) => c.notNull())
        .addColumn('below_default', 'integer', (c) => c.notNull())
        .addColumn('sentiment_n', 'integer', (c) => c.notNull())
        .addColumn('sentiment_sum', 'double precision', (c) => c.notNull())
        .addColumn('negative', 'integer', (c) => c.notNull())
        .addColumn('positive', 'integer', (c) => c.notNull())
        .addColumn('min_ts', 'bigint')
        .addColumn('max_ts', 'bigint')
        .execute();
      await db.schema
        .createIndex('turn_rollups_daily_key_idx')
        .on('turn_rollups_daily')
        .columns(['dataset_id', 'speaker', 'bucket_day', 'intent'])
        .execute();

      await db.schema
        .createTable('conversation_rollups')
        .addColumn('conversation_id', 'integer', (c) => c.primaryKey())
        .addColumn('dataset_id', 'integer', (c) => c.notNull())
        .addColumn('turns', 'integer', (c) => c.notNull())
        .addColumn('first_ts', 'bigint')
        .addColumn('last_ts', 'bigint')
        .addColumn('user_turns', 'integer', (c) => c.notNull())
        .addColumn('user_first_ts', 'bigint')
        .addColumn('user_last_ts', 'bigint')
        .addColumn('user_predicted', 'integer', (c) => c.notNull())
        .addColumn('system_turns', 'integer', (c) => c.notNull())
        .addColumn('system_first_ts', 'bigint')
        .addColumn('system_last_ts', 'bigint')
        .addColumn('user_sentiment_n', 'integer', (c) => c.notNull())
        .addColumn('user_sentiment_sum', 'double precision', (c) => c.notNull())
        .addColumn('user_sentiment_min', 'double precision')
        .addColumn('path', 'text')
        .execute();
      await db.schema
        .createIndex('conversation_rollups_dataset_idx')
        .on('conversation_rollups')
        .columns(['dataset_id', 'conversation_id'])
        .execute();

      await db.schema
        .createTable('conversation_intents')
        .addColumn('dataset_id', 'integer', (c) => c.notNull())
        .addColumn('conversation_id', 'integer', (c) => c.notNull())
        .addColumn('speaker', 'text', (c) => c.notNull())
        .addColumn('intent', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('conversation_intents_intent_idx')
        .on('conversation_intents')
        .columns(['intent', 'dataset_id', 'conversation_id'])
        .execute();
      await db.schema
        .createIndex('conversation_intents_conversation_idx')
        .on('conversation_intents')
        .columns(['conversation_id'])
        .execute();

      await refreshAllRollups(db, dialect);
    },
    async down(db: Kysely<any>) {
      for (const table of ['conversation_intents', 'conversation_rollups', 'turn_rollups_daily']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}
