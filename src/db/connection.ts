import { mkdirSync } from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { dialectOf, sqlitePath } from '../config/settings.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  kysely: Kysely<Database>;
  dialect: Dialect;
  /** The better-sqlite3 handle, for SQLite-only needs such as the online backup API. */
  sqlite?: BetterSqlite3.Database;
  /** Called by bulk writers between their transactions; set while their checkpoints run on a thread (wal-checkpointer.ts). */
  afterBulkCommit?: () => void;
  close(): Promise<void>;
}

// PostgreSQL returns int8 (bigint, COUNT(*)) and numeric as strings; the lab's integers all fit
// in a double, so read them as numbers on both dialects.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

export function openDb(databaseUrl: string): Db {
  if (dialectOf(databaseUrl) === 'postgres') {
    // JIT off per connection: analytics statements over raw turns (hourly series, time bounds)
    // cross jit_above_cost at a million turns, and compiling them (110 ms in EXPLAIN here) costs
    // more than it saves. (An `options` parameter in DATABASE_URL replaces this one.)
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 10, options: '-c jit=off' });
    // An idle client losing its server must not crash the process; the next query reports it.
    pool.on('error', () => {});
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { kysely, dialect: 'postgres', close: () => kysely.destroy() };
  }
  const file = sqlitePath(databaseUrl);
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { kysely, dialect: 'sqlite', sqlite, close: () => kysely.destroy() };
}

/** One round trip to the database; returns its latency in milliseconds. */
export async function ping(db: Db): Promise<number> {
  const start = performance.now();
  await sql`select 1`.execute(db.kysely);
  return performance.now() - start;
}
