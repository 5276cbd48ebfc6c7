import type BetterSqlite3 from 'better-sqlite3';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { ConversationIntentsTable, Database } from '../db/schema.js';
import type { ConversationRollupRow, DailyRollupRow } from '../analytics/rollups/accumulate.js';
import { DAILY_MEASURES } from '../analytics/rollups/build.js';

/**
 * Bulk writes for ingestion, inside the caller's transaction. SQLite goes straight to
 * better-sqlite3 prepared multi-row statements (Kysely's per-query compile costs more than the
 * insert itself at a million rows); PostgreSQL uses Kysely multi-row inserts. Batch sizes keep
 * under SQLite's 32,766 bound variables and PostgreSQL's 65,535 parameters.
 */
export interface ExampleRow {
  split: string;
  text: string;
  norm_text: string;
  label: string | null;
  metadata: string | null;
}

export interface ConversationRow {
  external_id: string;
  split: string | null;
  metadata: string | null;
}

export interface TurnRow {
  conversation_id: number;
  idx: number;
  speaker: string;
  text: string;
  intent: string | null;
  predicted_intent: string | null;
  confidence: number | null;
  sentiment: number | null;
  ts: number | null;
  metadata: string | null;
}

export interface ConversationStats {
  id: number;
  turn_count: number;
  started_at: number | null;
  ended_at: number | null;
}

export interface BatchWriter {
  /**
   * Returns the new ids in the order of `rows` where they come free (SQLite: the rowids one
   * multi-row INSERT assigns are consecutive, ending at its last insert rowid), else null.
   */
  insertExamples(rows: ExampleRow[]): Promise<number[] | null>;
  /** Returns the new ids in the order of `rows`. */
  insertConversations(rows: ConversationRow[]): Promise<number[]>;
  insertTurns(rows: TurnRow[]): Promise<void>;
  finishConversations(stats: ConversationStats[]): Promise<void>;
  /** The analytics rollups summed as the turns streamed by (src/analytics/rollups/accumulate.ts). */
  insertConversationRollups(rows: ConversationRollupRow[]): Promise<void>;
  insertConversationIntents(rows: ConversationIntentRow[]): Promise<void>;
  insertDailyRollups(rows: DailyRollupRow[]): Promise<void>;
}

export type ConversationIntentRow = Omit<ConversationIntentsTable, 'dataset_id'>;

const CONVERSATION_ROLLUP_COLUMNS = [
  'conversation_id',
  'turns',
  'first_ts',
  'last_ts',
  'user_turns',
  'user_first_ts',
  'user_last_ts',
  'user_predicted',
  'system_turns',
  'system_first_ts',
  'system_last_ts',
  'user_sentiment_n',
  'user_sentiment_sum',
  'user_sentiment_min',
  'path',
] as const satisfies ReadonlyArray<keyof ConversationRollupRow>;

const DAILY_ROLLUP_COLUMNS = ['bucket_day', 'speaker', 'intent', ...DAILY_MEASURES] as const satisfies ReadonlyArray<
  keyof DailyRollupRow
>;

/** `dataset_id` then the named columns of each row, for a statement over those columns. */
const flattenWith =
  <T>(datasetId: number, columns: ReadonlyArray<keyof T>) =>
  (row: T, out: unknown[]) => {
    out.push(datasetId);
    for (const c of columns) out.push(row[c]);
  };

const SQLITE_ROWS_PER_STATEMENT = 200;

/** Runs `rows` through an n-row statement, then a 1-row statement for the remainder. */
class MultiRowInsert<T> {
  private readonly many: BetterSqlite3.Statement;
  private readonly one: BetterSqlite3.Statement;
  private readonly width: number;

  constructor(
    db: BetterSqlite3.Database,
    table: string,
    columns: string[],
    private readonly flatten: (row: T, out: unknown[]) => void,
  ) {
    this.width = columns.length;
    const tuple = `(${columns.map(() => '?').join(',')})`;
    const head = `insert into ${table} (${columns.join(',')}) values `;
    this.many = db.prepare(head + Array(SQLITE_ROWS_PER_STATEMENT).fill(tuple).join(','));
    this.one = db.prepare(head + tuple);
  }

  /** Inserts `rows`; returns their rowids, in order. */
  run(rows: T[]): number[] {
    const ids = new Array<number>(rows.length);
    let i = 0;
    const params: unknown[] = new Array(SQLITE_ROWS_PER_STATEMENT * this.width);
    for (; i + SQLITE_ROWS_PER_STATEMENT <= rows.length; i += SQLITE_ROWS_PER_STATEMENT) {
      params.length = 0;
      for (let j = i; j < i + SQLITE_ROWS_PER_STATEMENT; j++) this.flatten(rows[j]!, params);
      const last = Number(this.many.run(params).lastInsertRowid);
      for (let j = 0; j < SQLITE_ROWS_PER_STATEMENT; j++) ids[i + j] = last - SQLITE_ROWS_PER_STATEMENT + 1 + j;
    }
    const one: unknown[] = [];
    for (; i < rows.length; i++) {
      one.length = 0;
      this.flatten(rows[i]!, one);
      ids[i] = Number(this.one.run(one).lastInsertRowid);
    }
    return ids;
  }
}

export function sqliteWriter(db: BetterSqlite3.Database, datasetId: number): BatchWriter {
  const examples = new MultiRowInsert<ExampleRow>(
    db,
    'examples',
    ['dataset_id', 'split', 'text', 'norm_text', 'label', 'metadata'],
    (r, out) => out.push(datasetId, r.split, r.text, r.norm_text, r.label, r.metadata),
  );
  const turns = new MultiRowInsert<TurnRow>(
    db,
    'turns',
    [
      'conversation_id',
      'dataset_id',
      'idx',
      'speaker',
      'text',
      'intent',
      'predicted_intent',
      'confidence',
      'sentiment',
      'ts',
      'metadata',
    ],
    (r, out) =>
      out.push(
        r.conversation_id,
        datasetId,
        r.idx,
        r.speaker,
        r.text,
        r.intent,
        r.predicted_intent,
        r.confidence,
        r.sentiment,
        r.ts,
        r.metadata,
      ),
  );
  const conversations = new MultiRowInsert<ConversationRow>(
    db,
    'conversations',
    ['dataset_id', 'external_id', 'split', 'metadata'],
    (r, out) => out.push(datasetId, r.external_id, r.split, r.metadata),
  );
  const finish = db.prepare('update conversations set turn_count = ?, started_at = ?, ended_at = ? where id = ?');
  const rollupInsert = <T>(table: string, columns: ReadonlyArray<keyof T & string>) =>
    new MultiRowInsert<T>(db, table, ['dataset_id', ...columns], flattenWith<T>(datasetId, columns));
  const conversationRollups = rollupInsert<ConversationRollupRow>('conversation_rollups', CONVERSATION_ROLLUP_COLUMNS);
  const conversationIntents = rollupInsert<ConversationIntentRow>('conversation_intents', [
    'conversation_id',
    'speaker',
    'intent',
  ]);
  const dailyRollups = rollupInsert<DailyRollupRow>('turn_rollups_daily', DAILY_ROLLUP_COLUMNS);
  return {
    async insertExamples(rows) {
      return examples.run(rows);
    },
    async insertConversations(rows) {
      return conversations.run(rows);
    },
    async insertTurns(rows) {
      turns.run(rows);
    },
    async finishConversations(stats) {
      for (const s of stats) finish.run(s.turn_count, s.started_at, s.ended_at, s.id);
    },
    async insertConversationRollups(rows) {
      conversationRollups.run(rows);
    },
    async insertConversationIntents(rows) {
      conversationIntents.run(rows);
    },
    async insertDailyRollups(rows) {
      dailyRollups.run(rows);
    },
  };
}

const PG_ROWS_PER_STATEMENT = 1000;

function chunks<T>(rows: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

export function postgresWriter(trx: Transaction<Database> | Kysely<Database>, datasetId: number): BatchWriter {
  const inChunks = async <T>(rows: T[], insert: (chunk: T[]) => Promise<unknown>) => {
    for (const chunk of chunks(rows, PG_ROWS_PER_STATEMENT)) await insert(chunk);
  };
  const withDataset = <T>(rows: T[]) => rows.map((r) => ({ dataset_id: datasetId, ...r }));
  return {
    async insertExamples(rows) {
      for (const chunk of chunks(rows, PG_ROWS_PER_STATEMENT)) {
        await trx
          .insertInto('examples')
          .values(chunk.map((r) => ({ dataset_id: datasetId, ...r })))
          .execute();
      }
      // RETURNING's order is not promised: the report reads the examples back instead.
      return null;
    },
    async insertConversations(rows) {
      const ids: number[] = [];
      for (const chunk of chunks(rows, PG_ROWS_PER_STATEMENT)) {
        const inserted = await trx
          .insertInto('conversations')
          .values(chunk.map((r) => ({ dataset_id: datasetId, turn_count: 0, ...r })))
          .returning(['id', 'external_id'])
          .execute();
        // Match by external id: RETURNING order is not promised by PostgreSQL.
        const byExternal = new Map(inserted.map((r) => [r.external_id, r.id]));
        for (const r of chunk) ids.push(byExternal.get(r.external_id)!);
      }
      return ids;
    },
    async insertTurns(rows) {
      for (const chunk of chunks(rows, PG_ROWS_PER_STATEMENT)) {
        await trx
          .insertInto('turns')
          .values(chunk.map((r) => ({ dataset_id: datasetId, ...r })))
          .execute();
      }
    },
    async finishConversations(stats) {
      for (const chunk of chunks(stats, PG_ROWS_PER_STATEMENT)) {
        const values = sql.join(
          chunk.map(
            (s) => sql`(${s.id}::integer, ${s.turn_count}::integer, ${s.started_at}::bigint, ${s.ended_at}::bigint)`,
          ),
        );
        await sql`update conversations as c
          set turn_count = v.tc, started_at = v.s, ended_at = v.e
          from (values ${values}) as v(id, tc, s, e)
          where c.id = v.id`.execute(trx);
      }
    },
    insertConversationRollups: (rows) =>
      inChunks(rows, (c) => trx.insertInto('conversation_rollups').values(withDataset(c)).execute()),
    insertConversationIntents: (rows) =>
      inChunks(rows, (c) => trx.insertInto('conversation_intents').values(withDataset(c)).execute()),
    insertDailyRollups: (rows) =>
      inChunks(rows, (c) => trx.insertInto('turn_rollups_daily').values(withDataset(c)).execute()),
  };
}
