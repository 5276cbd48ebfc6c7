/**
 * Run progress events in the database, so Server-Sent Events work whichever API instance a client
 * talks to. The process that executes a run (a `chatlab worker`, or an API instance running the
 * worker loop) persists what it publishes; every API instance tails the `run_events` table for
 * the runs its clients watch. Polling (not LISTEN/NOTIFY) keeps one code path for SQLite and
 * PostgreSQL; progress events are a few per second at most, so a half-second poll is cheap.
 */
import { hostname } from 'node:os';
import type { LabContext } from '../lab/context.js';
import { addEventSink, type RunEvent } from '../training/events.js';

/** This process, as the `source` of the events it writes. */
export const processSource = `${hostname()}:${process.pid}`;

export interface EventPersistence {
  /** Writes what is buffered now. */
  flush(): Promise<void>;
  /** Stops listening and writes what is left. */
  stop(): Promise<void>;
}

/**
 * Persists every event published in this process (batched every `intervalMs`; one writer per
 * process, inserts in order so a reader following ids never skips a row of a run).
 */
export function persistRunEvents(lab: LabContext, intervalMs = 200): EventPersistence {
  let buffer: Array<{ run_id: number; source: string; type: string; data: string; ts: number }> = [];
  let chain: Promise<void> = Promise.resolve();
  const flush = (): Promise<void> => {
    chain = chain.then(async () => {
      if (buffer.length === 0) return;
      const rows = buffer;
      buffer = [];
      try {
        await lab.db.kysely.insertInto('run_events').values(rows).execute();
      } catch {
        // Progress is best-effort: a lost batch must not fail the run it describes.
      }
    });
    return chain;
  };
  const removeSink = addEventSink((event) => {
    buffer.push({
      run_id: event.run_id,
      source: processSource,
      type: event.type,
      data: JSON.stringify(event),
      ts: Date.now(),
    });
  });
  const timer = setInterval(() => void flush(), intervalMs);
  timer.unref();
  return {
    flush,
    async stop() {
      clearInterval(timer);
      removeSink();
      await flush();
    },
  };
}

export interface StoredEvent {
  id: number;
  source: string;
  event: RunEvent;
}

/** Events of a run after `afterId`, oldest first, optionally without one source's. */
export async function readRunEvents(
  lab: LabContext,
  runId: number,
  afterId = 0,
  excludeSource?: string,
): Promise<StoredEvent[]> {
  let query = lab.db.kysely
    .selectFrom('run_events')
    .select(['id', 'source', 'data'])
    .where('run_id', '=', runId)
    .where('id', '>', afterId);
  if (excludeSource) query = query.where('source', '!=', excludeSource);
  const rows = await query.orderBy('id').limit(1000).execute();
  return rows.map((r) => ({ id: r.id, source: r.source, event: JSON.parse(r.data) as RunEvent }));
}

/**
 * Follows the persisted events of a run written by OTHER processes (this process's own events
 * reach its clients in memory) and calls `onEvent` for each, starting with those already stored.
 * Returns the function that stops following.
 */
export function tailRunEvents(
  lab: LabContext,
  runId: number,
  onEvent: (event: RunEvent) => void,
  intervalMs = 500,
): () => void {
  let last = 0;
  let stopped = false;
  let busy = false;
  const poll = async () => {
    if (busy || stopped) return;
    busy = true;
    try {
      for (const stored of await readRunEvents(lab, runId, last, processSource)) {
        last = stored.id;
        if (!stopped) onEvent(stored.event);
      }
    } catch {
      // The database may be briefly unavailable; the next poll catches up.
    } finally {
      busy = false;
    }
  };
  void poll();
  const timer = setInterval(() => void poll(), intervalMs);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

/** Deletes events older than `maxAgeMs` (their runs' outcomes are in `runs` and `metric_history`). */
export async function pruneRunEvents(lab: LabContext, maxAgeMs = 24 * 3600_000): Promise<number> {
  const result = await lab.db.kysely
    .deleteFrom('run_events')
    .where('ts', '<', Date.now() - maxAgeMs)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
