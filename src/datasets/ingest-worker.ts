/**
 * Worker-thread entry: one ingestion (checksum, parsing, VADER, inserts) on its own database
 * connection, so the API's event loop and its connection stay free while a large file is stored.
 * It runs the very same `ingestHere` as an in-process ingestion, one transaction included.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Settings } from '../config/settings.js';
import { AppError } from '../core/errors.js';
import { sqlitePath } from '../config/settings.js';
import { openDb } from '../db/connection.js';
import { checkpointInBackground } from '../db/wal-checkpointer.js';
import { ingestHere } from './ingest.js';
import { getDatasetSummary } from './summary.js';
import type { IngestWorkerMessage } from './ingest-protocol.js';
import type { IngestRequest } from './types.js';

const { settings, request } = workerData as { settings: Settings; request: IngestRequest };
const post = (message: IngestWorkerMessage) => parentPort!.postMessage(message);

const db = openDb(settings.databaseUrl);
// SQLite: the commits' checkpoints run on a thread of their own (src/db/wal-checkpointer.ts).
const checkpoints = db.sqlite ? checkpointInBackground(db.sqlite, sqlitePath(settings.databaseUrl)) : undefined;
if (checkpoints) db.afterBulkCommit = () => checkpoints.afterCommit();
try {
  const lab = { settings, db };
  const result = await ingestHere(lab, request, (progress) => post({ kind: 'progress', progress }));
  // The summary's GROUP BYs over a large dataset take a second or more: here, not on the API's thread.
  const summary = request.withSummary ? await getDatasetSummary(lab, result.dataset.id) : undefined;
  post({ kind: 'result', result: { ...result, summary } });
} catch (err) {
  const e = err as Error;
  post({
    kind: 'error',
    name: e?.name ?? 'Error',
    message: e?.message ?? String(err),
    stack: e?.stack,
    ...(err instanceof AppError
      ? { app: { className: err.constructor.name, code: err.code, status: err.status, details: err.details } }
      : {}),
    ...(typeof (err as { code?: unknown })?.code === 'string' ? { code: (err as { code: string }).code } : {}),
  });
} finally {
  await checkpoints?.stop();
  await db.close();
}
