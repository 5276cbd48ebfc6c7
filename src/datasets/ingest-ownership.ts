/**
 * Who is writing an `ingesting` dataset, and what happens to one nobody is writing any more.
 *
 * A chunked ingestion commits its rows as it goes, hidden behind the dataset's `ingesting` status.
 * Its owner (`host:pid:token`, as runs have) beats at every commit; a failure removes what was
 * written, and a dataset left `ingesting` by a process that died is removed by the start-up sweep
 * (`sweepAbandonedIngestions`), which leaves alone one that a live process is still writing.
 */
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import { deleteDatasetRollups } from '../analytics/rollups/maintain.js';
import type { LabContext } from '../lab/context.js';
import type { Database } from '../db/schema.js';
import { newOwner, ownerGone, parseOwner, pidAlive } from '../training/ownership.js';

export { newOwner as newIngestOwner };

/** Rows deleted per statement when an ingestion is undone, so no delete holds the writer for long. */
const DELETE_ROWS = 20_000;

/**
 * Records that `owner` is still writing the dataset. Throws when the dataset is no longer its
 * ingestion (a sweep removed it), so the writer stops instead of filling a dataset nobody will see.
 */
export async function beatIngestion(db: Kysely<Database>, datasetId: number, owner: string): Promise<void> {
  const beat = await db
    .updateTable('datasets')
    .set({ ingest_heartbeat_at: Date.now() })
    .where('id', '=', datasetId)
    .where('ingest_owner', '=', owner)
    .where('status', '=', 'ingesting')
    .executeTakeFirst();
  if (Number(beat.numUpdatedRows) !== 1) {
    throw new Error(`ingestion of dataset ${datasetId} was abandoned (removed by another process's sweep)`);
  }
}

/**
 * Removes an `ingesting` dataset and every row written for it, in short transactions (children
 * first, the dataset row last: until then it stays hidden, and a process dying half-way leaves it
 * for the next sweep). A `ready` dataset is never touched here.
 */
export async function discardIngestion(lab: LabContext, datasetId: number): Promise<void> {
  const db = lab.db.kysely;
  const ingesting = await db
    .selectFrom('datasets')
    .select('id')
    .where('id', '=', datasetId)
    .where('status', '=', 'ingesting')
    .executeTakeFirst();
  if (!ingesting) return;
  for (const table of ['turns', 'conversations', 'examples'] as const) {
    for (;;) {
      const deleted = await db
        .deleteFrom(table)
        .where('id', 'in', (eb) =>
          eb.selectFrom(table).select('id').where('dataset_id', '=', datasetId).limit(DELETE_ROWS),
        )
        .executeTakeFirst();
      if (Number(deleted.numDeletedRows) < DELETE_ROWS) break;
    }
  }
  await db.transaction().execute(async (trx) => {
    await deleteDatasetRollups(trx, datasetId);
    await trx.deleteFrom('datasets').where('id', '=', datasetId).where('status', '=', 'ingesting').execute();
  });
}

/**
 * Whether an ingestion's owner is gone. On this host the process table decides: an ingestion beats
 * only between its steps, and one step (a rollup statement or the validation report over millions
 * of turns) can outlast the lease, so a live process is never swept. Another host's owner is judged
 * by its beat (no beat for `staleMs`).
 */
function ingestionOwnerGone(owner: string | null, heartbeatAt: number | null, staleMs: number, now: number): boolean {
  const parsed = owner === null ? undefined : parseOwner(owner);
  if (parsed && parsed.host === hostname()) return !pidAlive(parsed.pid);
  return ownerGone(owner, heartbeatAt, staleMs, now);
}

/**
 * Removes the datasets left `ingesting` by owners that are gone (`ingestionOwnerGone`; `staleMs`
 * defaults to the job lease). Run at server start-up.
 */
export async function sweepAbandonedIngestions(lab: LabContext, staleMs?: number): Promise<number> {
  const lease = staleMs ?? (lab.settings.jobLeaseSeconds ?? 60) * 1000;
  const candidates = await lab.db.kysely
    .selectFrom('datasets')
    .select(['id', 'ingest_owner', 'ingest_heartbeat_at'])
    .where('status', '=', 'ingesting')
    .execute();
  const now = Date.now();
  let swept = 0;
  for (const d of candidates) {
    const beat = d.ingest_heartbeat_at === null ? null : Number(d.ingest_heartbeat_at);
    if (!ingestionOwnerGone(d.ingest_owner, beat, lease, now)) continue;
    await discardIngestion(lab, d.id);
    swept++;
  }
  return swept;
}
