import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointInBackground } from '../../src/db/wal-checkpointer.js';

/** One row of `pragma wal_checkpoint`: pages in the WAL and pages copied into the database. */
const walState = (db: BetterSqlite3.Database) =>
  (db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>)[0]!;

describe('checkpoints on a thread of their own', () => {
  let dir: string;
  let file: string;
  let db: BetterSqlite3.Database;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'chatlab-wal-'));
    file = path.join(dir, 'lab.db');
    db = new BetterSqlite3(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('create table t (id integer primary key, payload text not null)');
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const insert = (rows: number) => {
    const stmt = db.prepare('insert into t (payload) values (?)');
    db.transaction(() => {
      for (let i = 0; i < rows; i++) stmt.run(`${i} ${'x'.repeat(200)}`);
    })();
  };

  /** Resolves once the thread has published a WAL size above `pages`. */
  async function walAbove(c: { walPages(): number }, pages: number): Promise<void> {
    while (c.walPages() <= pages) await new Promise((resolve) => setImmediate(resolve));
  }

  it('turns the writer’s automatic checkpoints off, and at stop() restores them with everything copied', async () => {
    const before = db.pragma('wal_autocheckpoint', { simple: true });
    const checkpoints = checkpointInBackground(db, file);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    for (let i = 0; i < 5; i++) insert(2_000);
    await walAbove(checkpoints, 100); // the thread saw the commits
    const report = await checkpoints.stop();

    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(before);
    expect(report.checkpoints).toBeGreaterThan(0);
    expect(report.largestWalPages).toBeGreaterThan(100);
    const state = walState(db);
    expect(state.checkpointed).toBe(state.log);
    // What was committed is in the database file for any other connection.
    const reader = new BetterSqlite3(file, { readonly: true });
    expect(reader.prepare('select count(*) as n from t').get()).toEqual({ n: 10_000 });
    reader.close();
  });

  it('keeps the WAL bounded: past `restartPages`, the next transaction starts the WAL over', async () => {
    const checkpoints = checkpointInBackground(db, file, { restartPages: 50 });
    insert(2_000); // well over 50 pages of 4 KB
    await walAbove(checkpoints, 50);
    insert(2_000); // committed after the thread's last look: maybe not copied yet
    const grown = checkpoints.walPages();
    checkpoints.afterCommit(); // copies the rest itself, whatever the thread is doing
    insert(10);
    // The small transaction was written at the start of the WAL, not after the large one.
    expect(walState(db).log).toBeLessThan(grown);
    expect(walState(db).log).toBeLessThan(50);
    await checkpoints.stop();
  });
});
