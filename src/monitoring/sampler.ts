import type { Db } from '../db/connection.js';
import type { MinuteSample, RequestMetrics } from './request-metrics.js';

/** Request history older than this is deleted by the sampler. */
export const SAMPLE_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** Writes the completed minutes' per-route figures to `request_samples`; returns rows written. */
export async function sampleRequestMinutes(db: Db, metrics: RequestMetrics, now = Date.now()): Promise<number> {
  const rows = metrics.takeCompletedMinutes(now);
  if (rows.length > 0) await db.kysely.insertInto('request_samples').values(rows).execute();
  await db.kysely
    .deleteFrom('request_samples')
    .where('ts', '<', now - SAMPLE_RETENTION_MS)
    .execute();
  return rows.length;
}

export interface Timer {
  stop(): Promise<void>;
}

/**
 * Runs `tick` every `intervalMs` without overlapping runs; a failing tick is reported to
 * `onError` and the timer keeps going. `stop` waits for a tick in progress.
 */
export function every(intervalMs: number, tick: () => Promise<unknown>, onError: (err: unknown) => void): Timer {
  let running: Promise<void> | undefined;
  const handle = setInterval(() => {
    if (running) return;
    running = tick()
      .then(
        () => undefined,
        (err: unknown) => onError(err),
      )
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  handle.unref();
  return {
    async stop() {
      clearInterval(handle);
      await running;
    },
  };
}

export type HistoryPoint = MinuteSample;

/** Stored per-minute history since `from` (epoch ms), oldest first. */
export async function requestHistory(db: Db, from: number, route?: string): Promise<HistoryPoint[]> {
  let query = db.kysely
    .selectFrom('request_samples')
    .select(['ts', 'route', 'requests', 'errors', 'p50_ms', 'p95_ms', 'p99_ms'])
    .where('ts', '>=', from);
  if (route) query = query.where('route', '=', route);
  const rows = await query.orderBy('ts').orderBy('route').limit(100_000).execute();
  return rows.map((r) => ({ ...r, ts: Number(r.ts) }));
}
