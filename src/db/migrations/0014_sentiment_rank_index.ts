import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../connection.js';

/**
 * An index that ranks a dataset's conversations by their mean user sentiment (the sentiment
 * endpoint's most negative conversations): the N lowest are the first N entries of one index range
 * instead of a sort of every conversation (3.6 s at 10M turns on SQLite before). Partial, like the
 * query, to conversations with a scored user turn; the query spells the same expression.
 */
export function sentimentRankIndexMigration(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await sql`create index conversation_rollups_sentiment_idx on conversation_rollups
        (dataset_id, (user_sentiment_sum / user_sentiment_n), conversation_id)
        where user_sentiment_n > 0`.execute(db);
    },
    async down(db: Kysely<any>) {
      await sql`drop index if exists conversation_rollups_sentiment_idx`.execute(db);
    },
  };
}
