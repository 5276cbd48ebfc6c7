/**
 * The persisted job queue and the worker loop that drains it. Jobs live in the `jobs` table so
 * a restart does not lose queued work and several processes can share the queue: a worker claims
 * a job atomically (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: a single-writer transaction),
 * keeps a heartbeat while it runs, and reads `cancel_requested` at each beat. A job whose worker
 * stopped beating for longer than the lease is re-queued by whichever worker notices (its run goes
 * back to "queued" and records the attempt), or failed with the reason once it has used
 * `max_attempts`, so its run does not stay "running". A worker that finds its lease taken over
 * stops its copy of the job silently (a lost lease is not a cancel: the run belongs to its new
 * holder), so a job never runs twice at the same time. A worker that is stopped (SIGTERM) releases
 * the job in hand: back to the queue, the attempt not counted, for another worker to run.
 */
import { hostname } from 'node:os';
import { sql } from 'kysely';
import type { LabContext } from '../lab/context.js';
import type { Job } from '../db/schema.js';
import {
  failInlineChildren,
  finishRun,
  getRunState,
  logMetrics,
  requeueRun,
  runsWithJobs,
} from '../experiments/runs.js';
import { publish } from './events.js';
import { RunControl } from './control.js';
import { failInterruptedRuns } from './ownership.js';

export type JobKind = 'train' | 'search' | 'search-trial' | 'crossval' | 'discover' | 'label';
/** Executes a claimed job; `control` is how the worker stops it (cancel, lost lease, release). */
export type JobHandler = (
  lab: LabContext,
  job: Job,
  control: RunControl,
) => Promise<{ status: 'succeeded' | 'failed' | 'cancelled'; result?: unknown; error?: string }>;

/** What a heartbeat tells the worker: carry on, stop because a person cancelled, or stop because the lease is gone. */
export type BeatAnswer = 'ok' | 'cancel' | 'lost';

const nowIso = () => new Date().toISOString();
const TERMINAL = ['succeeded', 'failed', 'cancelled'] as const;

export async function enqueueJob(
  lab: LabContext,
  kind: JobKind,
  payload: unknown,
  runId: number | null,
  maxAttempts = 1,
): Promise<number> {
  const row = await lab.db.kysely
    .insertInto('jobs')
    .values({
      kind,
      status: 'queued',
      payload: JSON.stringify(payload),
      run_id: runId,
      attempts: 0,
      max_attempts: maxAttempts,
      cancel_requested: 0,
      updated_at: nowIso(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Takes the oldest queued job for this worker, or undefined when there is none. `runIds` limits
 * the claim to the jobs of those runs (a search taking its own queued trials).
 */
export async function claimJob(lab: LabContext, workerId: string, runIds?: number[]): Promise<Job | undefined> {
  if (runIds?.length === 0) return undefined;
  const now = Date.now();
  if (lab.db.dialect === 'postgres') {
    const only = runIds ? sql`and run_id in (${sql.join(runIds)})` : sql``;
    const result = await sql<Job>`
      update jobs
         set status = 'running', locked_by = ${workerId}, heartbeat_at = ${now},
             attempts = attempts + 1, updated_at = ${nowIso()}
       where id = (select id from jobs where status = 'queued' ${only} order by id limit 1 for update skip locked)
       returning *`.execute(lab.db.kysely);
    return result.rows[0];
  }
  return lab.db.kysely.transaction().execute(async (trx) => {
    let query = trx.selectFrom('jobs').select('id').where('status', '=', 'queued');
    if (runIds) query = query.where('run_id', 'in', runIds);
    const next = await query.orderBy('id').limit(1).executeTakeFirst();
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

/**
 * Records that the worker is alive. Answers `lost` when the job is no longer running under this
 * worker (its lease expired and the job was re-queued: the run is someone else's now), `cancel`
 * when a person asked to cancel, and `ok` otherwise.
 */
export async function heartbeat(lab: LabContext, jobId: number, workerId: string): Promise<BeatAnswer> {
  const beat = await lab.db.kysely
    .updateTable('jobs')
    .set({ heartbeat_at: Date.now(), updated_at: nowIso() })
    .where('id', '=', jobId)
    .where('locked_by', '=', workerId)
    .where('status', '=', 'running')
    .executeTakeFirst();
  if (Number(beat.numUpdatedRows) !== 1) return 'lost';
  const row = await lab.db.kysely
    .selectFrom('jobs')
    .select('cancel_requested')
    .where('id', '=', jobId)
    .executeTakeFirst();
  return row?.cancel_requested === 1 ? 'cancel' : 'ok';
}

/**
 * Hands a job back to the queue at shutdown: queued again with its attempt not counted, and its
 * run queued for the next worker. Only while this worker still holds it; returns whether it did.
 */
export async function releaseJob(lab: LabContext, job: Job, workerId: string): Promise<boolean> {
  const reason = `released by worker ${workerId} at shutdown; re-queued`;
  const released = await lab.db.kysely
    .updateTable('jobs')
    .set((eb) => ({
      status: 'queued',
      locked_by: null,
      heartbeat_at: null,
      attempts: eb('attempts', '-', 1),
      updated_at: nowIso(),
    }))
    .where('id', '=', job.id)
    .where('locked_by', '=', workerId)
    .where('status', '=', 'running')
    .executeTakeFirst();
  if (Number(released.numUpdatedRows) !== 1) return false;
  if (job.run_id !== null) await requeueJobRun(lab, job.run_id, reason, reason);
  return true;
}

/**
 * Puts a job's run back in the queue. Child runs executed inside it (cross-validation folds) end,
 * and restart with it; children that are jobs of their own (search trials) carry on, and the
 * parent takes them up again when it restarts.
 */
async function requeueJobRun(lab: LabContext, runId: number, error: string, trialError: string): Promise<void> {
  await requeueRun(lab, runId, error);
  await failInlineChildren(lab, runId, trialError);
  publish({ type: 'status', run_id: runId, status: 'queued', error });
}

/**
 * Cancels the open children of `parentRunId` that are jobs of their own (search trials): queued
 * ones end now, running ones see `cancel_requested` at their worker's next heartbeat.
 */
export async function cancelChildJobs(lab: LabContext, parentRunId: number, reason: string): Promise<void> {
  const open = (await runsWithJobs(lab, { parentRunId })).filter(
    (r) => r.job_id !== null && (r.status === 'queued' || r.status === 'running'),
  );
  if (open.length === 0) return;
  const ids = open.map((r) => r.id);
  await lab.db.kysely
    .updateTable('jobs')
    .set({ cancel_requested: 1, updated_at: nowIso() })
    .where('run_id', 'in', ids)
    .execute();
  await lab.db.kysely
    .updateTable('jobs')
    .set({ status: 'cancelled', error: reason, updated_at: nowIso() })
    .where('run_id', 'in', ids)
    .where('status', '=', 'queued')
    .execute();
  for (const run of open.filter((r) => r.status === 'queued')) {
    await finishRun(lab, run.id, { status: 'cancelled', error: reason });
    publish({ type: 'status', run_id: run.id, status: 'cancelled', error: reason });
  }
}

export async function completeJob(
  lab: LabContext,
  jobId: number,
  outcome: { status: 'succeeded' | 'failed' | 'cancelled'; result?: unknown; error?: string },
  workerId?: string,
): Promise<void> {
  let update = lab.db.kysely
    .updateTable('jobs')
    .set({
      status: outcome.status,
      result: outcome.result === undefined ? null : JSON.stringify(outcome.result),
      error: outcome.error ?? null,
      updated_at: nowIso(),
    })
    .where('id', '=', jobId);
  // A worker that lost its lease does not overwrite the state of the job's new holder.
  if (workerId !== undefined) update = update.where('locked_by', '=', workerId).where('status', '=', 'running');
  await update.execute();
}

/**
 * Handles running jobs whose worker has not beaten for `staleMs`: a job with attempts left goes
 * back to the queue (its run back to "queued"); the others are failed, and their runs, with the
 * reason. Each job is taken over with one conditional update, so when several workers notice the
 * same stale job only one acts on it.
 */
export async function failStaleJobs(lab: LabContext, staleMs: number): Promise<number> {
  const cutoff = Date.now() - staleMs;
  const stale = await lab.db.kysely
    .selectFrom('jobs')
    .select(['id', 'run_id', 'locked_by', 'attempts', 'max_attempts'])
    .where('status', '=', 'running')
    .where('heartbeat_at', '<', cutoff)
    .execute();
  for (const job of stale) {
    const reason = `worker ${job.locked_by ?? '?'} stopped responding (no heartbeat for ${Math.round(staleMs / 1000)} s)`;
    const run = job.run_id === null ? undefined : await getRunState(lab, job.run_id);
    // A worker that died after finishing the run but before closing the job: close it as the run ended.
    const runEnded = run !== undefined && ['succeeded', 'failed', 'cancelled'].includes(run.status);
    const retry = !runEnded && job.attempts < job.max_attempts;
    const taken = await lab.db.kysely
      .updateTable('jobs')
      .set(
        runEnded
          ? { status: run!.status as 'succeeded' | 'failed' | 'cancelled', updated_at: nowIso() }
          : retry
            ? { status: 'queued', locked_by: null, heartbeat_at: null, error: reason, updated_at: nowIso() }
            : {
                status: 'failed',
                error: `${reason}; gave up after ${job.attempts} attempt(s)`,
                updated_at: nowIso(),
              },
      )
      .where('id', '=', job.id)
      .where('status', '=', 'running')
      .where('heartbeat_at', '<', cutoff)
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) !== 1 || runEnded) continue;
    if (retry) {
      if (job.run_id !== null) {
        await requeueJobRun(lab, job.run_id, `attempt ${job.attempts}: ${reason}; re-queued`, reason);
      }
      continue;
    }
    if (job.run_id !== null) {
      const failedReason = `${reason}; gave up after ${job.attempts} attempt(s)`;
      await finishRun(lab, job.run_id, { status: 'failed', error: failedReason });
      await failInlineChildren(lab, job.run_id, reason);
      await cancelChildJobs(lab, job.run_id, `parent run ${job.run_id} failed: ${reason}`);
      publish({ type: 'status', run_id: job.run_id, status: 'failed', error: failedReason });
    }
  }
  return stale.length;
}

export interface WorkerOptions {
  pollMs?: number;
  heartbeatMs?: number;
  staleMs?: number;
  /**
   * Told when a job is claimed and when it ends (the `chatlab worker` log): finished, released
   * back to the queue at shutdown, or lost (its lease expired and another worker has it).
   */
  onJob?: (
    phase: 'claimed' | 'finished' | 'released' | 'lost',
    job: Job,
    outcome?: { status: string; error?: string },
  ) => void;
  /** Where errors of the worker's own loop are reported (the database down, say). */
  logger?: { error(obj: object, msg: string): void };
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
  private readonly onJob: WorkerOptions['onJob'];
  private readonly logger: WorkerOptions['logger'];
  /** The control of the job in hand, released when the worker stops. */
  private current: RunControl | undefined;

  constructor(
    private readonly lab: LabContext,
    private readonly handlers: Partial<Record<JobKind, JobHandler>>,
    options: WorkerOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 1000;
    this.heartbeatMs = options.heartbeatMs ?? 5000;
    this.staleMs = options.staleMs ?? 60_000;
    this.onJob = options.onJob;
    this.logger = options.logger;
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

  /**
   * Stops taking jobs and releases the one in hand (back to the queue, its attempt not counted):
   * a shutdown takes as long as stopping the training thread, not as long as the training.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.stop('release');
    this.wake?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let worked = false;
      try {
        await failStaleJobs(this.lab, this.staleMs);
        await failInterruptedRuns(this.lab, this.staleMs);
        const job = this.stopped ? undefined : await claimJob(this.lab, this.id);
        if (job) {
          worked = true;
          await this.runJob(job);
        }
      } catch (err) {
        // The database may be briefly unavailable; try again at the next poll.
        this.logger?.error({ err, worker: this.id }, 'job worker: poll failed; retrying');
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
    const control = new RunControl();
    this.current = control;
    // A stop() that came while the job was being claimed releases it at once.
    if (this.stopped) control.stop('release');
    try {
      await executeClaimedJob(this.lab, job, this.id, handler, control, {
        heartbeatMs: this.heartbeatMs,
        onJob: this.onJob,
      });
    } finally {
      this.current = undefined;
    }
  }
}

/**
 * Executes a job claimed by `workerId` to its end: heartbeats while it runs (a cancel or a lost
 * lease stops `control`), then completes it, or hands it back to the queue when `control` was
 * stopped for a release. Used by the worker loop and by a search running its own trials.
 */
export async function executeClaimedJob(
  lab: LabContext,
  job: Job,
  workerId: string,
  handler: JobHandler,
  control: RunControl,
  options: { heartbeatMs: number; onJob?: WorkerOptions['onJob'] },
): Promise<void> {
  const { onJob } = options;
  onJob?.('claimed', job);
  // The run's history keeps one `attempt` point per try (step = attempt number).
  if (job.run_id !== null) {
    await logMetrics(lab, job.run_id, [{ key: 'attempt', step: job.attempts, value: job.attempts }]).catch(() => {});
  }
  const beat = setInterval(() => {
    heartbeat(lab, job.id, workerId).then(
      (answer) => {
        if (answer === 'cancel') control.stop('cancel');
        else if (answer === 'lost') control.stop('lost');
      },
      () => {}, // the database may be briefly unavailable; the next beat tries again
    );
  }, options.heartbeatMs);
  try {
    const outcome = await handler(lab, job, control);
    // A run that ended anyway (it committed just before the stop) is closed as it ended.
    const ended = (TERMINAL as readonly string[]).includes(outcome.status);
    if (!ended && control.reason === 'release' && (await releaseJob(lab, job, workerId))) {
      onJob?.('released', job);
    } else if (!ended && control.reason === 'lost') {
      onJob?.('lost', job);
    } else {
      await completeJob(lab, job.id, outcome, workerId);
      onJob?.('finished', job, outcome);
    }
  } catch (err) {
    await completeJob(lab, job.id, { status: 'failed', error: (err as Error).message }, workerId);
    if (job.run_id !== null) await finishRun(lab, job.run_id, { status: 'failed', error: (err as Error).message });
    onJob?.('finished', job, { status: 'failed', error: (err as Error).message });
  } finally {
    clearInterval(beat);
  }
}
