/**
 * Who executes a run, and whether they are still there. Every run records an owner
 * (`host:pid:token`) and a heartbeat while it is queued or running: queued jobs are covered by
 * their job lease (src/training/jobs.ts), but synchronous runs (`chatlab train`, POST
 * /training/run without async_run) have no job row, and only their owner's beat tells a run
 * whose process died from one that is executing right now in another terminal or on another host.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { LabContext } from '../lab/context.js';
import { finishRun, openRunsWithoutJob } from '../experiments/runs.js';
export { processOwner } from '../experiments/runs.js';
import { publish } from './events.js';

/** A fresh owner for one execution of a run, so two executions in one process differ. */
export function newOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

export function parseOwner(owner: string): { host: string; pid: number } | undefined {
  const m = /^(.*):(\d+):[^:]+$/.exec(owner);
  return m ? { host: m[1]!, pid: Number(m[2]) } : undefined;
}

export function pidAlive(pid: number): boolean {
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

export const INTERRUPTED = 'interrupted: the process executing this run stopped while it was in progress';

/**
 * Fails queued or running runs whose executor is gone: no live job holds them (jobs recover
 * through their lease instead) and their owner (or, for a search trial, its parent's owner) has
 * stopped beating or no longer exists. Safe on both dialects and with several processes: a run
 * executing anywhere keeps beating. Run at server start-up and at each job-worker poll.
 */
export async function failInterruptedRuns(lab: LabContext, staleMs?: number): Promise<number> {
  const lease = staleMs ?? (lab.settings.jobLeaseSeconds ?? 60) * 1000;
  const candidates = await openRunsWithoutJob(lab);
  const now = Date.now();
  let failed = 0;
  for (const run of candidates) {
    const gone =
      ownerGone(run.owner, run.heartbeat_at, lease, now) &&
      (run.parent_run_id === null ||
        run.parent_status === null ||
        !['queued', 'running'].includes(run.parent_status) ||
        ownerGone(run.parent_owner, run.parent_heartbeat_at, lease, now));
    if (!gone) continue;
    await finishRun(lab, run.id, { status: 'failed', error: INTERRUPTED });
    publish({ type: 'status', run_id: run.id, status: 'failed', error: INTERRUPTED });
    failed++;
  }
  return failed;
}
