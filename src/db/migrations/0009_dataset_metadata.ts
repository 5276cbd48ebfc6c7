import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../connection.js';

/**
 * Dataset-level metadata from an import (Rasa synonyms, regexes and lookup tables; the Dialogflow
 * agent and Lex bot settings), as JSON text: it describes the dataset, not any one example, and an
 * export in the same format writes it back.
 */
export function datasetMetadataMigration(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('datasets').addColumn('metadata', 'text').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('datasets').dropColumn('metadata').execute();
    },
  };
}
