/**
 * The persisted job queue and the worker loop that drains it. Jobs live in the `jobs` table so
 * a restart does not lose queued work and several processes can share the queue: a worker claims
 * a job atomically (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: a single-writer transaction),
 * keeps a heartbeat while it runs, and reads `cancel_requested` at each beat. A job whose worker
 * stopped beating is failed by whichever worker notices, so its run does not stay "running".
 */
import { hostname } from 'node:os';
import { sql } from 'kysely';
import type { LabContext } from '../core/context.js';
import type { Job } from '../db/schema.js';
import { finishRun } from '../experiments/runs.js';
import { publish } from './events.js';
import { cancelActive } from './control.js';

export type JobKind = 'train' | 'search' | 'crossval';
export type JobHandler = (
  lab: LabContext,
  job: Job,
) => Promise<{ status: 'succeeded' | 'failed' | 'cancelled'; result?: unknown; error?: string }>;

const nowIso = () => new Date().toISOString();

export async function enqueueJob(
  lab: LabContext,
  kind: JobKind,
  payload: unknown,
  runId: number | null,
): Promise<number> {
  const row = await lab.db.kysely
    .insertInto('jobs')
    .values({
      kind,
      status: 'queued',
      payload: JSON.stringify(payload),
      run_id: runId,
      attempts: 0,
      max_attempts: 1,
      cancel_requested: 0,
      updated_at: nowIso(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Takes the oldest queued job for this worker, or undefined when there is none. */
export async function claimJob(lab: LabContext, workerId: string): Promise<Job | undefined> {
  const now = Date.now();
  if (lab.db.dialect === 'postgres') {
    const result = await sql<Job>`
      update jobs
         set status = 'running', locked_by = ${workerId}, heartbeat_at = ${now},
             attempts = attempts + 1, updated_at = ${nowIso()}
       where id = (select id from jobs where status = 'queued' order by id limit 1 for update skip locked)
       returning *`.execute(lab.db.kysely);
    return result.rows[0];
  }
  return lab.db.kysely.transaction().execute(async (trx) => {
    const next = await trx
      .selectFrom('jobs')
      .select('id')
      .where('status', '=', 'queued')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    if (!next) return undefined;
    const updated = await trx
      .updateTable('jobs')
      .set((eb) => ({
        status: 'running',
        locked_by: workerId,
        heartbeat_at: now,
        attempts: eb('attempts', '+', 1),
        updated_at: nowIso(),
      }))
      .where('id', '=', next.id)
      .where('status', '=', 'queued')
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) return undefined;
    return trx.selectFrom('jobs').selectAll().where('id', '=', next.id).executeTakeFirst();
  });
}

/** Records that the worker is alive; returns whether a cancel was requested. */
export async function heartbeat(lab: LabContext, jobId: number, workerId: string): Promise<boolean> {
  await lab.db.kysely
    .updateTable('jobs')
    .set({ heartbeat_at: Date.now(), updated_at: nowIso() })
    .where('id', '=', jobId)
    .where('locked_by', '=', workerId)
    .execute();
  const row = await lab.db.kysely
    .selectFrom('jobs')
    .select('cancel_requested')
    .where('id', '=', jobId)
    .executeTakeFirst();
  return row?.cancel_requested === 1;
}

export async function completeJob(
  lab: LabContext,
  jobId: number,
  outcome: { status: 'succeeded' | 'failed' | 'cancelled'; result?: unknown; error?: string },
): Promise<void> {
  await lab.db.kysely
    .updateTable('jobs')
    .set({
      status: outcome.status,
      result: outcome.result === undefined ? null : JSON.stringify(outcome.result),
      error: outcome.error ?? null,
      updated_at: nowIso(),
    })
    .where('id', '=', jobId)
    .execute();
}

/** Fails running jobs whose worker has not beaten for `staleMs`, and their runs. */
export async function failStaleJobs(lab: LabContext, staleMs: number): Promise<number> {
  const cutoff = Date.now() - staleMs;
  const stale = await lab.db.kysely
    .selectFrom('jobs')
    .select(['id', 'run_id', 'locked_by'])
    .where('status', '=', 'running')
    .where('heartbeat_at', '<', cutoff)
    .execute();
  for (const job of stale) {
    const reason = `worker ${job.locked_by ?? '?'} stopped responding (no heartbeat for ${Math.round(staleMs / 1000)} s)`;
    await completeJob(lab, job.id, { status: 'failed', error: reason });
    if (job.run_id !== null) {
      await finishRun(lab, job.run_id, { status: 'failed', error: reason });
      await lab.db.kysely
        .updateTable('runs')
        .set({ status: 'failed', error: reason })
        .where('parent_run_id', '=', job.run_id)
        .where('status', 'in', ['queued', 'running'])
        .execute();
      publish({ type: 'status', run_id: job.run_id, status: 'failed', error: reason });
    }
  }
  return stale.length;
}

export interface WorkerOptions {
  pollMs?: number;
  heartbeatMs?: number;
  staleMs?: number;
}

/**
 * Drains the queue one job at a time (training uses the CPU fully; two at once on a small
 * machine would only make both slower).
 */
export class JobWorker {
  readonly id = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private wake: (() => void) | undefined;
  private readonly pollMs: number;
  private readonly heartbeatMs: number;
  private readonly staleMs: number;

  constructor(
    private readonly lab: LabContext,
    private readonly handlers: Partial<Record<JobKind, JobHandler>>,
    options: WorkerOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 1000;
    this.heartbeatMs = options.heartbeatMs ?? 5000;
    this.staleMs = options.staleMs ?? 60_000;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.running = this.loop();
  }

  /** Looks for work now instead of at the next poll (after an enqueue in this process). */
  notify(): void {
    this.wake?.();
  }

  /** Stops taking jobs and waits for the current one to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let worked = false;
      try {
        await failStaleJobs(this.lab, this.staleMs);
        const job = await claimJob(this.lab, this.id);
        if (job) {
          worked = true;
          await this.runJob(job);
        }
      } catch {
        // The database may be briefly unavailable; try again at the next poll.
      }
      if (!worked && !this.stopped) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.timer = setTimeout(resolve, this.pollMs);
          this.timer.unref();
        });
        if (this.timer) clearTimeout(this.timer);
        this.wake = undefined;
      }
    }
  }

  private async runJob(job: Job): Promise<void> {
    const handler = this.handlers[job.kind as JobKind];
    if (!handler) {
      await completeJob(this.lab, job.id, { status: 'failed', error: `no handler for job kind ${job.kind}` });
      return;
    }
    const beat = setInterval(() => {
      void heartbeat(this.lab, job.id, this.id)
        .then((cancel) => {
          if (cancel && job.run_id !== null) cancelActive(job.run_id);
        })
        .catch(() => {});
    }, this.heartbeatMs);
    try {
      const outcome = await handler(this.lab, job);
      await completeJob(this.lab, job.id, outcome);
    } catch (err) {
      await completeJob(this.lab, job.id, { status: 'failed', error: (err as Error).message });
      if (job.run_id !== null)
        await finishRun(this.lab, job.run_id, { status: 'failed', error: (err as Error).message });
    } finally {
      clearInterval(beat);
    }
  }
}
