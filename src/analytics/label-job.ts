/**
 * Labelling a log through the API is a queued job (kind `label`), like asynchronous training: the
 * request is checked and enqueued at once (202 with the job id), the job worker of some process
 * (the API's own with SQLite, or a `chatlab worker`) runs `labelTurns`, writing `{done, total}`
 * to the job's `progress` as it goes, and `GET /analytics/label/{job}` reports it. A log of 100k
 * turns takes tens of seconds; the request that asked for it no longer waits for it. The CLI's
 * `chatlab analyze` still labels in its own process, with a progress bar.
 */
import type { LabContext } from '../lab/context.js';
import { NotFoundError } from '../core/errors.js';
import type { Job } from '../db/schema.js';
import { resolveModel } from '../experiments/registry.js';
import { enqueueJob, type JobHandler } from '../training/jobs.js';
import { labelTurns, type LabelOptions, type LabelResult } from './label.js';

export interface LabelJobView {
  job_id: number;
  status: Job['status'];
  dataset: number;
  /** Turns handled so far of those to handle; null until the worker starts. */
  progress: { done: number; total: number } | null;
  result: LabelResult | null;
  error: string | null;
  created_at: string;
  updated_at: string;
}

/** How often progress is written to the job row (a 100k-turn log has ~400 batches). */
const PROGRESS_EVERY_MS = 250;

/** Checks what a caller can fix (unknown dataset or model) now, then queues the labelling. */
export async function enqueueLabelling(lab: LabContext, options: LabelOptions): Promise<LabelJobView> {
  const dataset = await lab.db.kysely
    .selectFrom('datasets')
    .select('id')
    .where('id', '=', options.datasetId)
    .where('status', '=', 'ready')
    .executeTakeFirst();
  if (!dataset) throw new NotFoundError('dataset', options.datasetId);
  await resolveModel(lab, options.model ?? 'production');
  const jobId = await enqueueJob(lab, 'label', options, null, lab.settings.jobMaxAttempts ?? 3);
  // Wake this process's worker now rather than at its next poll. Imported when called: the
  // training service registers this module's handler, so a static import would be a cycle.
  const { jobWorker } = await import('../training/service.js');
  jobWorker(lab).notify();
  return getLabelJob(lab, jobId);
}

export async function getLabelJob(lab: LabContext, jobId: number): Promise<LabelJobView> {
  const job = await lab.db.kysely
    .selectFrom('jobs')
    .selectAll()
    .where('id', '=', jobId)
    .where('kind', '=', 'label')
    .executeTakeFirst();
  if (!job) throw new NotFoundError('labelling job', jobId);
  const payload = JSON.parse(job.payload) as LabelOptions;
  return {
    job_id: job.id,
    status: job.status,
    dataset: payload.datasetId,
    progress: job.progress ? (JSON.parse(job.progress) as LabelJobView['progress']) : null,
    result: job.result ? (JSON.parse(job.result) as LabelResult) : null,
    error: job.error,
    created_at: String(job.created_at),
    updated_at: job.updated_at,
  };
}

/** The job worker's handler for `label` jobs. */
export const labelJob: JobHandler = async (lab, job) => {
  const options = JSON.parse(job.payload) as LabelOptions;
  let lastWrite = 0;
  let writing: Promise<unknown> = Promise.resolve();
  const writeProgress = (done: number, total: number) => {
    writing = writing
      .then(() =>
        lab.db.kysely
          .updateTable('jobs')
          .set({ progress: JSON.stringify({ done, total }), updated_at: new Date().toISOString() })
          .where('id', '=', job.id)
          .execute(),
      )
      .catch(() => {}); // progress is advisory: a failed write must not fail the labelling
  };
  const result = await labelTurns(lab, options, {
    onProgress: (done, total) => {
      const now = Date.now();
      if (done === 0 || done >= total || now - lastWrite >= PROGRESS_EVERY_MS) {
        lastWrite = now;
        writeProgress(done, total);
      }
    },
  });
  await writing;
  return { status: 'succeeded', result };
};
