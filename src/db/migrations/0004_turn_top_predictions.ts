import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../connection.js';

/**
 * The top-3 intents of a turn's prediction (JSON text `[{"intent","confidence"}, …]`), written
 * by labelling beside `predicted_intent`/`confidence`. The review queue ranks by the margin
 * between the first two and shows the three as one-key choices; turns labelled before this
 * column existed keep null (the queue then bounds the margin from the top-1 confidence).
 */
export function turnTopPredictionsMigration(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('turns').addColumn('predicted_top', 'text').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('turns').dropColumn('predicted_top').execute();
    },
  };
}
