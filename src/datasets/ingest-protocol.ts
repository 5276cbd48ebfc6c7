/** Messages from an ingestion worker thread to the thread that started it. */
import type { ErrorDetail } from '../core/errors.js';
import type { DatasetSummary } from './summary.js';
import type { DatasetView, IngestProgress } from './types.js';

export type IngestWorkerMessage =
  | { kind: 'progress'; progress: IngestProgress }
  | { kind: 'result'; result: { dataset: DatasetView; created: boolean; summary?: DatasetSummary } }
  | {
      kind: 'error';
      name: string;
      message: string;
      stack?: string;
      /** A database driver's error code (e.g. SQLITE_BUSY), kept for callers that test it. */
      code?: string;
      /** Set when the worker threw an AppError: enough to throw the same class here. */
      app?: { className: string; code: string; status: number; details: ErrorDetail[] };
    };
