/**
 * The `chatlab worker` process: N job workers (one job each at a time) on one lab, sharing the
 * queue with every other worker and API instance on the same database. Each worker claims a job
 * (PostgreSQL `FOR UPDATE SKIP LOCKED`), heartbeats, re-queues jobs of workers that stopped
 * beating (src/training/jobs.ts), and the progress it publishes is written to `run_events` so
 * every API instance can stream it.
 */
import type { Logger } from 'pino';
import type { LabContext } from '../lab/context.js';
import { JobWorker, type WorkerOptions } from '../training/jobs.js';
import { jobHandlers, leaseOptions } from '../training/service.js';
import { persistRunEvents, pruneRunEvents } from './event-store.js';

export interface WorkerPool {
  ids: string[];
  /** Stops claiming, releases the jobs in hand back to the queue, writes the last events. */
  stop(): Promise<void>;
}

export interface WorkerPoolOptions {
  concurrency: number;
  pollMs?: number;
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export function startWorkerPool(lab: LabContext, options: WorkerPoolOptions): WorkerPool {
  const events = persistRunEvents(lab);
  const base: WorkerOptions = {
    ...leaseOptions(lab),
    pollMs: options.pollMs,
    logger: options.logger,
    onJob: (phase, job, outcome) => {
      const fields = {
        job_id: job.id,
        kind: job.kind,
        run_id: job.run_id,
        attempt: job.attempts,
        worker: job.locked_by,
      };
      if (phase === 'claimed') options.logger?.info(fields, 'job claimed');
      else if (phase === 'released') options.logger?.info(fields, 'job released to the queue');
      else if (phase === 'lost') options.logger?.warn(fields, 'job lease lost: another worker holds it');
      else options.logger?.info({ ...fields, status: outcome?.status, error: outcome?.error }, 'job finished');
    },
  };
  const workers = Array.from({ length: options.concurrency }, () => new JobWorker(lab, jobHandlers, base));
  for (const w of workers) w.start();
  // Events only serve live progress; the runs keep their outcome and metric history.
  // Not unref'd: this timer is what keeps an idle worker process alive (the job workers' poll
  // timers are unref'd so an API process can exit).
  const prune = setInterval(() => void pruneRunEvents(lab).catch(() => {}), 3600_000);
  let stopping: Promise<void> | undefined;
  return {
    ids: workers.map((w) => w.id),
    stop: () =>
      (stopping ??= (async () => {
        clearInterval(prune);
        await Promise.all(workers.map((w) => w.stop()));
        await events.stop();
      })()),
  };
}
