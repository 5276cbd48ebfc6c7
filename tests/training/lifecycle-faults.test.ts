/**
 * Fault injection into the run lifecycle (src/training/lifecycle.ts): failures after the commit,
 * in the registration transaction, a cancel that arrives while a run is queued, and a job lease
 * lost in the middle of a run.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { listModels, resolveModel } from '../../src/experiments/registry.js';
import { createRun, finishRun, getRun, markRunning } from '../../src/experiments/runs.js';
import { subscribe, type RunEvent } from '../../src/training/events.js';
import { failStaleJobs, JobWorker } from '../../src/training/jobs.js';
import { trainModel } from '../../src/training/pipeline.js';
import { jobHandlers, startTraining } from '../../src/training/service.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import { waitFor } from '../support/wait.js';
import { seedBanking77 } from './support.js';

const faults = vi.hoisted(() => ({
  setAliasFails: false,
  nextVersionOnce: undefined as number | undefined,
  insertFailsOnce: undefined as Error | undefined,
  inserts: 0,
}));

vi.mock('../../src/experiments/registry.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/experiments/registry.js')>();
  return {
    ...real,
    setAlias: async (...args: Parameters<typeof real.setAlias>) => {
      if (faults.setAliasFails) throw new Error('injected: setAlias failed');
      return real.setAlias(...args);
    },
    nextVersion: async (...args: Parameters<typeof real.nextVersion>) => {
      const forced = faults.nextVersionOnce;
      faults.nextVersionOnce = undefined;
      return forced ?? real.nextVersion(...args);
    },
    insertModelVersion: async (...args: Parameters<typeof real.insertModelVersion>) => {
      faults.inserts++;
      const failure = faults.insertFailsOnce;
      faults.insertFailsOnce = undefined;
      if (failure) throw failure;
      return real.insertModelVersion(...args);
    },
  };
});

describeEachDialect('run lifecycle faults', (dialect) => {
  let lab: TestLab;
  let datasetId: number;
  beforeAll(async () => {
    lab = await createTestLab(dialect);
    datasetId = await seedBanking77(lab, { trainPerIntent: 12, testPerIntent: 3 });
  });
  afterAll(async () => lab?.cleanup());

  it('a failure after the commit cannot take the files or the success of a registered model', async () => {
    faults.setAliasFails = true;
    try {
      const run = await trainModel(lab, { datasetId, modelType: 'tfidf-linear', alias: 'staging' });
      expect(run.status).toBe('succeeded');
      expect(run.model_version).not.toBeNull();
      const model = await resolveModel(lab, 'staging');
      expect(model.run_id).toBe(run.id);
      expect(existsSync(path.join(model.path, 'manifest.json'))).toBe(true);
    } finally {
      faults.setAliasFails = false;
    }
  });

  it('two runs moving the same alias both succeed; the alias ends on one of them', async () => {
    const runs = await Promise.all(
      [1, 2].map((seed) => trainModel(lab, { datasetId, modelType: 'tfidf-linear', alias: 'race', seed })),
    );
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    const model = await resolveModel(lab, 'race');
    expect(runs.map((r) => r.model_version)).toContain(model.version);
  });

  it('retries the registration only when it lost the race for a version number', async () => {
    const taken = (await listModels(lab))[0]!.version;
    faults.inserts = 0;
    faults.nextVersionOnce = taken; // as if another run had just taken this number
    const retried = await trainModel(lab, { datasetId, modelType: 'tfidf-linear' });
    expect(retried.status).toBe('succeeded');
    expect(retried.model_version).toBeGreaterThan(taken);
    expect(faults.inserts).toBe(2);

    faults.inserts = 0;
    faults.insertFailsOnce = new Error('injected: the disk is full');
    const failed = await trainModel(lab, { datasetId, modelType: 'tfidf-linear' });
    expect(faults.inserts).toBe(1);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/injected: the disk is full/);
    expect(failed.model_version).toBeNull();
    expect(existsSync(path.join(lab.settings.modelDir, 'intent-classifier', `run-${failed.id}`))).toBe(false);
  });

  it('a run cancelled while queued is never taken', async () => {
    const runId = await createRun(lab, { datasetId, modelType: 'tfidf-linear', params: {} });
    await finishRun(lab, runId, { status: 'cancelled', error: 'cancelled by request' });
    expect(await markRunning(lab, runId)).toBe(false);
    expect((await getRun(lab, runId)).status).toBe('cancelled');
  });

  it('a lease lost during a run is not a cancel: the re-queued attempt succeeds', async () => {
    const queued = await startTraining(
      lab,
      { datasetId, modelType: 'tfidf-linear', overrides: { num_epochs: 120 } },
      true,
    );
    const events: RunEvent[] = [];
    const unsubscribe = subscribe(queued.run_id, (e) => events.push(e));
    const worker = new JobWorker(lab, jobHandlers, { pollMs: 20, heartbeatMs: 200, staleMs: 60_000 });
    worker.start();
    try {
      await waitFor(() => events.some((e) => e.type === 'epoch'), 'the first epoch');
      const job = () =>
        lab.db.kysely.selectFrom('jobs').selectAll().where('id', '=', queued.job_id).executeTakeFirstOrThrow();
      // The worker's lease expires (as if it had stalled) and recovery re-queues the job; the
      // worker's own beats may refresh the lease in between, so expire until recovery has acted.
      await waitFor(async () => {
        await lab.db.kysely
          .updateTable('jobs')
          .set({ heartbeat_at: Date.now() - 120_000 })
          .where('id', '=', queued.job_id)
          .where('status', '=', 'running')
          .execute();
        await failStaleJobs(lab, 60_000);
        return (await job()).attempts === 1 && (await job()).status === 'queued';
      }, 'recovery to re-queue the job');

      const run = await waitFor(async () => {
        const r = await getRun(lab, queued.run_id);
        return ['succeeded', 'failed', 'cancelled'].includes(r.status) && r;
      }, 'the run to end');
      expect(run.status).toBe('succeeded');
      expect(run.model_version).not.toBeNull();
      // The worker closes the job just after the run commits.
      const closed = await waitFor(async () => {
        const j = await job();
        return j.status !== 'running' && j;
      }, 'the job to close');
      expect(closed).toMatchObject({ status: 'succeeded', attempts: 2 });
      const statuses = events.filter((e) => e.type === 'status').map((e) => (e as { status: string }).status);
      expect(statuses).not.toContain('cancelled');
      expect(statuses).toContain('queued');
      expect(statuses.at(-1)).toBe('succeeded');
    } finally {
      unsubscribe();
      await worker.stop();
    }
  }, 120_000);
});
