import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRun, getRun } from '../../src/experiments/runs.js';
import { claimJob, completeJob, enqueueJob, failStaleJobs, heartbeat } from '../../src/training/jobs.js';
import { executeRun, requestCancel, type PreparedRun } from '../../src/training/pipeline.js';
import { listModels } from '../../src/experiments/registry.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import { seedBanking77 } from './support.js';

describeEachDialect('job queue', (dialect) => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await createTestLab(dialect);
  });
  afterAll(async () => lab?.cleanup());

  const newRun = () => createRun(lab, { datasetId: null, modelType: 'tfidf-linear', params: {} });

  it('claims each queued job exactly once, oldest first, even with concurrent claimers', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) ids.push(await enqueueJob(lab, 'train', { i }, await newRun()));
    const claims = await Promise.all([1, 2, 3, 4, 5, 6].map((w) => claimJob(lab, `worker-${w}`)));
    const claimed = claims.filter((j) => j !== undefined).map((j) => j!.id);
    expect(claimed.sort((a, b) => a - b)).toEqual(ids);
    expect(await claimJob(lab, 'late')).toBeUndefined();
    const job = claims.find((j) => j?.id === ids[0])!;
    expect(job).toMatchObject({ status: 'running', attempts: 1 });
    expect(job.locked_by).toMatch(/^worker-/);
    for (const id of ids) await completeJob(lab, id, { status: 'succeeded', result: { ok: true } });
  });

  it('reports a cancel request at the next heartbeat', async () => {
    const runId = await newRun();
    const jobId = await enqueueJob(lab, 'train', {}, runId);
    const job = (await claimJob(lab, 'w1'))!;
    expect(job.id).toBe(jobId);
    expect(await heartbeat(lab, jobId, 'w1')).toBe('ok');
    await lab.db.kysely.updateTable('jobs').set({ cancel_requested: 1 }).where('id', '=', jobId).execute();
    expect(await heartbeat(lab, jobId, 'w1')).toBe('cancel');
    await completeJob(lab, jobId, { status: 'cancelled' });
  });

  it('fails a job whose worker stopped beating, and its run, with the reason', async () => {
    const runId = await newRun();
    await lab.db.kysely.updateTable('runs').set({ status: 'running' }).where('id', '=', runId).execute();
    const jobId = await enqueueJob(lab, 'train', {}, runId);
    await claimJob(lab, 'ghost');
    await lab.db.kysely
      .updateTable('jobs')
      .set({ heartbeat_at: Date.now() - 120_000 })
      .where('id', '=', jobId)
      .execute();
    expect(await failStaleJobs(lab, 60_000)).toBe(1);
    const job = await lab.db.kysely.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
    expect(job.status).toBe('failed');
    const run = await getRun(lab, runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/worker ghost stopped responding/);
  });

  it('cancelling a queued run ends it and its job without executing', async () => {
    const runId = await newRun();
    const jobId = await enqueueJob(lab, 'train', {}, runId);
    const run = await requestCancel(lab, runId);
    expect(run.status).toBe('cancelled');
    const job = await lab.db.kysely.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
    expect(job.status).toBe('cancelled');
    await expect(requestCancel(lab, runId)).rejects.toMatchObject({ status: 409 });
  });

  it('a crash in the training worker leaves the run failed with the reason and no model', async () => {
    const datasetId = await seedBanking77(lab, { trainPerIntent: 5, testPerIntent: 2 });
    const runId = await createRun(lab, { datasetId, modelType: 'tfidf-linear', params: {} });
    // A parameter the trainer rejects inside the worker thread stands in for any crash there.
    const prepared: PreparedRun = {
      runId,
      dataset: { id: datasetId, name: 'x', type: 'banking77', checksum: 'c', version: 1, preprocess: {} },
      modelType: 'tfidf-linear',
      params: { num_epochs: -5 },
      seed: 1,
      validationFraction: 0.1,
      oosLabel: 'oos',
    };
    const run = await executeRun(lab, prepared);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/num_epochs/);
    expect(run.model_version).toBeNull();
    expect(await listModels(lab)).toEqual([]);
  });
});
