/**
 * Who executes a run, and whether they are still there. Every run records an owner
 * (`host:pid:token`) and a heartbeat while it is queued or running: queued jobs are covered by
 * their job lease (src/training/jobs.ts), but synchronous runs (`chatlab train`, POST
 * /training/run without async_run) have no job row, and only their owner's beat tells a run
 * whose process died from one that is executing right now in another terminal or on another host.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { LabContext } from '../core/context.js';
import { finishRun } from '../experiments/runs.js';
export { processOwner } from '../experiments/runs.js';
import { publish } from './events.js';

/** A fresh owner for one execution of a run, so two executions in one process differ. */
export function newOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

function parseOwner(owner: string): { host: string; pid: number } | undefined {
  const m = /^(.*):(\d+):[^:]+$/.exec(owner);
  return m ? { host: m[1]!, pid: Number(m[2]) } : undefined;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An owner is gone when it has not beaten for `staleMs`, or, on this host, when its process no
 * longer exists (then there is no need to wait for the lease). A run without an owner predates
 * ownership and has no way to show it is alive.
 */
export function ownerGone(
  owner: string | null,
  heartbeatAt: number | null,
  staleMs: number,
  now = Date.now(),
): boolean {
  if (owner === null) return true;
  if (heartbeatAt === null || heartbeatAt < now - staleMs) return true;
  const parsed = parseOwner(owner);
  if (parsed && parsed.host === hostname()) return !pidAlive(parsed.pid);
  return false;
}

/**
 * Records that `owner` is still executing the run (and its children, the trials of a search).
 * Returns false when the run is no longer running under this owner: it was failed by a sweep or
 * re-queued and taken by another holder, so the local copy must stop.
 */
export async function beatRun(lab: LabContext, runId: number, owner: string): Promise<boolean> {
  const now = Date.now();
  const beat = await lab.db.kysely
    .updateTable('runs')
    .set({ heartbeat_at: now })
    .where('id', '=', runId)
    .where('owner', '=', owner)
    .where('status', '=', 'running')
    .executeTakeFirst();
  if (Number(beat.numUpdatedRows) !== 1) return false;
  await lab.db.kysely
    .updateTable('runs')
    .set({ heartbeat_at: now })
    .where('parent_run_id', '=', runId)
    .where('status', 'in', ['queued', 'running'])
    .execute();
  return true;
}

export const INTERRUPTED = 'interrupted: the process executing this run stopped while it was in progress';

/**
 * Fails queued or running runs whose executor is gone: no live job holds them (jobs recover
 * through their lease instead) and their owner (or, for a search trial, its parent's owner) has
 * stopped beating or no longer exists. Safe on both dialects and with several processes: a run
 * executing anywhere keeps beating. Run at server start-up and at each job-worker poll.
 */
export async function failInterruptedRuns(lab: LabContext, staleMs?: number): Promise<number> {
  const lease = staleMs ?? (lab.settings.jobLeaseSeconds ?? 60) * 1000;
  const candidates = await lab.db.kysely
    .selectFrom('runs')
    .leftJoin('runs as parent', 'parent.id', 'runs.parent_run_id')
    .select([
      'runs.id',
      'runs.owner',
      'runs.heartbeat_at',
      'runs.parent_run_id',
      'parent.owner as parent_owner',
      'parent.heartbeat_at as parent_heartbeat_at',
      'parent.status as parent_status',
    ])
    .where('runs.status', 'in', ['queued', 'running'])
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('jobs')
            .select('jobs.id')
            .where('jobs.status', 'in', ['queued', 'running'])
            .where((eb) =>
              eb.or([eb('jobs.run_id', '=', eb.ref('runs.id')), eb('jobs.run_id', '=', eb.ref('runs.parent_run_id'))]),
            ),
        ),
      ),
    )
    .execute();
  const now = Date.now();
  let failed = 0;
  for (const run of candidates) {
    const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    const gone =
      ownerGone(run.owner, num(run.heartbeat_at), lease, now) &&
      (run.parent_run_id === null ||
        run.parent_status === null ||
        !['queued', 'running'].includes(run.parent_status) ||
        ownerGone(run.parent_owner, num(run.parent_heartbeat_at), lease, now));
    if (!gone) continue;
    await finishRun(lab, run.id, { status: 'failed', error: INTERRUPTED });
    publish({ type: 'status', run_id: run.id, status: 'failed', error: INTERRUPTED });
    failed++;
  }
  return failed;
}
