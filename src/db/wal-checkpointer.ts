import type BetterSqlite3 from 'better-sqlite3';
import { startWorkerModule } from '../core/worker-thread.js';

/**
 * Checkpoints of a long bulk write, moved off the writing thread.
 *
 * In WAL mode every commit that leaves more than `wal_autocheckpoint` pages in the WAL (1,000 by
 * default) checkpoints on the committing connection: it copies the pages into the database file
 * and fsyncs both before the commit returns. An ingestion that commits every 50,000 rows spent
 * 3.7 s of its 27 s (1M turns) waiting for those copies. `checkpointInBackground` turns the
 * writer's automatic checkpoints off and runs PASSIVE checkpoints on a thread of their own, on
 * another core, while the writer goes on.
 *
 * The WAL only starts over from its beginning when a write transaction begins after a checkpoint
 * copied all of it. A writer that begins its next transaction right after each commit never sees
 * that moment, so the WAL would grow by everything the bulk write stores. `afterCommit()` bounds
 * it: once the WAL holds more than `restartPages`, the writer checkpoints the rest itself (FULL:
 * it waits for the thread's checkpoint to finish), and its next transaction starts the WAL over.
 */
export interface BackgroundCheckpoints {
  /** For the writer between its transactions: keeps the WAL under about `restartPages`. */
  afterCommit(): void;
  /** The WAL's size in pages at the thread's last checkpoint (0 before its first). */
  walPages(): number;
  /** Restores automatic checkpoints, checkpoints the rest, and reports what the thread did. */
  stop(): Promise<{ checkpoints: number; largestWalPages: number }>;
}

/** How often the thread checkpoints: a fraction of a commit interval (about a second at 50,000 rows). */
const INTERVAL_MS = 200;
/** 128 MB of 4 KB pages: a few commit chunks. */
const RESTART_PAGES = 32_768;

export function checkpointInBackground(
  db: BetterSqlite3.Database,
  file: string,
  { restartPages = RESTART_PAGES } = {},
): BackgroundCheckpoints {
  const previous = db.pragma('wal_autocheckpoint', { simple: true }) as number;
  db.pragma('wal_autocheckpoint = 0');
  // [0]: stop flag; [1]: the WAL's size in pages at the thread's last checkpoint.
  const shared = new Int32Array(new SharedArrayBuffer(8));
  const worker = startWorkerModule(import.meta.url, 'wal-checkpoint-worker', {
    workerData: { file, shared, intervalMs: INTERVAL_MS },
  });
  let report = { checkpoints: 0, largestWalPages: 0 };
  worker.on('message', (m: typeof report) => (report = m));
  const exited = new Promise<void>((resolve) => {
    // A failed thread only costs speed: the writer's own checkpoints resume at once.
    worker.on('error', () => db.pragma(`wal_autocheckpoint = ${previous}`));
    worker.on('exit', () => resolve());
  });
  return {
    afterCommit() {
      if (Atomics.load(shared, 1) <= restartPages) return;
      db.pragma('wal_checkpoint(FULL)');
      Atomics.store(shared, 1, 0);
    },
    walPages: () => Atomics.load(shared, 1),
    async stop() {
      Atomics.store(shared, 0, 1);
      Atomics.notify(shared, 0);
      await exited;
      db.pragma(`wal_autocheckpoint = ${previous}`);
      db.pragma('wal_checkpoint(PASSIVE)');
      return report;
    },
  };
}
