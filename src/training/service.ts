/**
 * The training use cases as the API and CLI call them: synchronous runs, queued (async) runs
 * drained by the job worker, and the worker itself (one per open lab in this process).
 */
import type { LabContext } from '../core/context.js';
import type { Job } from '../db/schema.js';
import { finishRun } from '../experiments/runs.js';
import type { RunView } from '../experiments/runs.js';
import { executeCrossval, prepareCrossval, type CrossvalRequest, type PreparedCrossval } from './crossval.js';
import { enqueueJob, JobWorker, type JobHandler, type JobKind, type WorkerOptions } from './jobs.js';
import { executeRun, prepareRun, type PreparedRun, type TrainRequest } from './pipeline.js';
import { executeSearch, prepareSearch, type PreparedSearch, type SearchRequest } from './search.js';
import { labelJob } from '../analytics/label-job.js';

const outcome = (run: RunView) => ({
  status: run.status as 'succeeded' | 'failed' | 'cancelled',
  result: { run_id: run.id, status: run.status },
  error: run.error ?? undefined,
});

export const jobHandlers: Record<JobKind, JobHandler> = {
  train: async (lab, job: Job) => outcome(await executeRun(lab, JSON.parse(job.payload) as PreparedRun)),
  search: async (lab, job: Job) => outcome(await executeSearch(lab, JSON.parse(job.payload) as PreparedSearch)),
  crossval: async (lab, job: Job) => outcome(await executeCrossval(lab, JSON.parse(job.payload) as PreparedCrossval)),
  label: labelJob,
};

const workers = new WeakMap<LabContext, JobWorker>();

/** Lease and heartbeat from the settings (JOB_LEASE_SECONDS): a few beats fit in one lease. */
export function leaseOptions(lab: LabContext): WorkerOptions {
  const staleMs = (lab.settings.jobLeaseSeconds ?? 60) * 1000;
  return { staleMs, heartbeatMs: Math.min(5000, Math.floor(staleMs / 4)) };
}

/** The job worker of this process for `lab` (created, not started). */
export function jobWorker(lab: LabContext, options?: WorkerOptions): JobWorker {
  let worker = workers.get(lab);
  if (!worker) {
    worker = new JobWorker(lab, jobHandlers, { ...leaseOptions(lab), ...options });
    workers.set(lab, worker);
  }
  return worker;
}

export interface Queued {
  run_id: number;
  job_id: number;
  status: 'queued';
}

async function enqueue(lab: LabContext, kind: JobKind, prepared: { runId: number }): Promise<Queued> {
  const jobId = await enqueueJob(lab, kind, prepared, prepared.runId, lab.settings.jobMaxAttempts ?? 3);
  workers.get(lab)?.notify();
  return { run_id: prepared.runId, job_id: jobId, status: 'queued' };
}

export async function startTraining(lab: LabContext, req: TrainRequest, asyncRun: true): Promise<Queued>;
export async function startTraining(lab: LabContext, req: TrainRequest, asyncRun?: false): Promise<RunView>;
export async function startTraining(lab: LabContext, req: TrainRequest, asyncRun = false): Promise<RunView | Queued> {
  const prepared = await prepareRun(lab, req);
  return asyncRun ? enqueue(lab, 'train', prepared) : executeRun(lab, prepared);
}

export async function startSearch(lab: LabContext, req: SearchRequest, asyncRun = false): Promise<RunView | Queued> {
  const prepared = await prepareSearch(lab, req);
  return asyncRun ? enqueue(lab, 'search', prepared) : executeSearch(lab, prepared);
}

export async function startCrossval(
  lab: LabContext,
  req: CrossvalRequest,
  asyncRun = false,
): Promise<RunView | Queued> {
  const prepared = await prepareCrossval(lab, req);
  return asyncRun ? enqueue(lab, 'crossval', prepared) : executeCrossval(lab, prepared);
}

/**
 * Synchronous runs execute inside the API process that received them and have no job row and
 * no heartbeat, so when that process dies they would stay "running" forever. With SQLite there is
 * one API process per database, so at its start-up every such run is an orphan: fail it with the
 * reason. (Queued jobs recover through their lease instead; on PostgreSQL other API instances may
 * be running synchronous runs of their own, so this sweep is not done there.)
 */
export async function failInterruptedRuns(lab: LabContext): Promise<number> {
  if (lab.db.dialect !== 'sqlite') return 0;
  const orphans = await lab.db.kysely
    .selectFrom('runs')
    .select('id')
    .where('status', 'in', ['queued', 'running'])
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
  for (const run of orphans) {
    await finishRun(lab, run.id, {
      status: 'failed',
      error: 'interrupted: the server stopped while this run was in progress',
    });
  }
  return orphans.length;
}
