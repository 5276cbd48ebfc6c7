/**
 * Worker-thread entry of `checkpointInBackground`: copies the WAL's committed pages into the
 * database file (a PASSIVE checkpoint: it never waits for the writer or the readers) every
 * `intervalMs` until `shared[0]` is set, and publishes the WAL's size in pages in `shared[1]`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';

const { file, shared, intervalMs } = workerData as { file: string; shared: Int32Array; intervalMs: number };

const db = new BetterSqlite3(file);
let checkpoints = 0;
let largestWalPages = 0;
try {
  while (Atomics.load(shared, 0) === 0) {
    // One row: busy (another checkpoint held the lock), log (pages in the WAL), checkpointed.
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>;
    const pages = Math.max(0, result?.log ?? 0);
    Atomics.store(shared, 1, pages);
    checkpoints++;
    largestWalPages = Math.max(largestWalPages, pages);
    Atomics.wait(shared, 0, 0, intervalMs);
  }
} finally {
  db.close();
}
parentPort?.postMessage({ checkpoints, largestWalPages });
