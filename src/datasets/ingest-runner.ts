/**
 * Runs one ingestion in a worker thread and resolves with its result; progress events arrive on
 * `onProgress` and errors come back as the same AppError classes the in-process path throws, so
 * routes and commands cannot tell the two apart.
 */
import type { Worker } from 'node:worker_threads';
import { startWorkerModule } from '../core/worker-thread.js';
import type { LabContext } from '../lab/context.js';
import { AppError, ConflictError, NotFoundError, ValidationError } from '../core/errors.js';
import type { IngestWorkerMessage } from './ingest-protocol.js';
import type { IngestResult } from './ingest.js';
import type { IngestProgress, IngestRequest } from './types.js';

// An ingestion allocates a few short-lived objects per row (parsed JSON, records, rows). V8's
// default young generation (16 MB semi-spaces) fills every few thousand rows and promotes what
// is still referenced by the batch; 64 MB semi-spaces halved the GC time of a 1M-turn ingestion.
const RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 3 * 64 };

const startWorker = (workerData: unknown): Worker =>
  startWorkerModule(import.meta.url, 'ingest-worker', { workerData, resourceLimits: RESOURCE_LIMITS });

function rebuildError(message: Extract<IngestWorkerMessage, { kind: 'error' }>): Error {
  const app = message.app;
  if (app) {
    let err: AppError;
    if (app.className === 'ValidationError') err = new ValidationError(message.message, app.details);
    else if (app.className === 'ConflictError') err = new ConflictError(message.message, app.details);
    else if (app.className === 'NotFoundError') err = new NotFoundError('', '', app.details);
    else err = new AppError(app.code, message.message, app.status, app.details);
    err.message = message.message;
    return err;
  }
  const err = Object.assign(new Error(message.message), message.code ? { code: message.code } : {});
  err.name = message.name;
  if (message.stack) err.stack = message.stack;
  return err;
}

// SQLite has one writer: two ingestions of this process would wait on each other's lock until
// busy_timeout and fail, so they take turns here (in-process ingestions queued the same way on
// the process's single connection).
let sqliteTurn: Promise<unknown> = Promise.resolve();

export function ingestInWorker(
  lab: LabContext,
  request: IngestRequest,
  onProgress?: (p: IngestProgress) => void,
): Promise<IngestResult> {
  const run = () =>
    new Promise<IngestResult>((resolve, reject) => {
      const worker = startWorker({ settings: lab.settings, request });
      // The outcome is delivered when the thread has exited: by then the worker has closed its
      // connection, so a dataset the caller is told about is committed and the lock released.
      let outcome: (() => void) | undefined;
      worker.on('message', (message: IngestWorkerMessage) => {
        if (message.kind === 'progress') onProgress?.(message.progress);
        else if (message.kind === 'result') outcome ??= () => resolve(message.result);
        else outcome ??= () => reject(rebuildError(message));
      });
      worker.on('error', (err) => (outcome ??= () => reject(err)));
      worker.on('exit', (code) =>
        (outcome ?? (() => reject(new Error(`ingestion worker exited with code ${code}`))))(),
      );
    });
  if (lab.db.dialect !== 'sqlite') return run();
  const turn = sqliteTurn.then(run, run);
  sqliteTurn = turn.catch(() => {});
  return turn;
}
