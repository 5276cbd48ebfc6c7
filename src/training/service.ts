/**
 * The training use cases as the API and CLI call them: synchronous runs, queued (async) runs
 * drained by the job worker, and the worker itself (one per open lab in this process).
 */
import type { LabContext } from '../lab/context.js';
import type { Job } from '../db/schema.js';
import { runDiscoveryJob } from '../discovery/discover.js';
import type { RunView } from '../experiments/runs.js';
import { failInterruptedRuns as failOrphans } from './ownership.js';
import { executeCrossval, prepareCrossval, type CrossvalRequest, type PreparedCrossval } from './crossval.js';
import { enqueueJob, JobWorker, type JobHandler, type JobKind, type WorkerOptions } from './jobs.js';
import { executeRun, prepareRun, type PreparedRun, type TrainRequest } from './pipeline.js';
import { executeSearch, prepareSearch, type PreparedSearch, type SearchRequest } from './search.js';
import { trialJob } from './search-trial.js';
import { labelJob } from '../analytics/label-job.js';

const outcome = (run: RunView) => ({
  status: run.status as 'succeeded' | 'failed' | 'cancelled',
  result: { run_id: run.id, status: run.status },
  error: run.error ?? undefined,
});

export const jobHandlers: Record<JobKind, JobHandler> = {
  train: async (lab, job: Job, control) =>
    outcome(await executeRun(lab, JSON.parse(job.payload) as PreparedRun, control)),
  search: async (lab, job: Job, control) =>
    outcome(await executeSearch(lab, JSON.parse(job.payload) as PreparedSearch, control, job.locked_by ?? undefined)),
  'search-trial': trialJob,
  crossval: async (lab, job: Job, control) =>
    outcome(await executeCrossval(lab, JSON.parse(job.payload) as PreparedCrossval, control)),
  discover: runDiscoveryJob,
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
 * Fails runs whose executing process is gone (see src/training/ownership.ts): called when the API
 * starts, on both dialects; a run that a `chatlab train` or another instance is executing keeps
 * beating and is left alone.
 */
export async function failInterruptedRuns(lab: LabContext): Promise<number> {
  return failOrphans(lab);
}
