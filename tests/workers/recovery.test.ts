import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRun, getRun } from '../../src/experiments/runs.js';
import { publish } from '../../src/training/events.js';
import { claimJob, completeJob, enqueueJob, failStaleJobs, heartbeat } from '../../src/training/jobs.js';
import {
  persistRunEvents,
  processSource,
  pruneRunEvents,
  readRunEvents,
  tailRunEvents,
} from '../../src/workers/event-store.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

describeEachDialect('scale-out recovery and shared events', (dialect) => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await createTestLab(dialect);
  });
  afterAll(async () => lab?.cleanup());

  const runningRun = async () => {
    const runId = await createRun(lab, { datasetId: null, modelType: 'tfidf-linear', params: {} });
    await lab.db.kysely.updateTable('runs').set({ status: 'running' }).where('id', '=', runId).execute();
    return runId;
  };
  const expire = (jobId: number) =>
    lab.db.kysely
      .updateTable('jobs')
      .set({ heartbeat_at: Date.now() - 120_000 })
      .where('id', '=', jobId)
      .execute();
  const jobRow = (jobId: number) =>
    lab.db.kysely.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();

  it('re-queues a lost job while attempts remain, then fails it with the reason', async () => {
    const runId = await runningRun();
    const jobId = await enqueueJob(lab, 'train', {}, runId, 2);
    await claimJob(lab, 'lost-1');
    await expire(jobId);
    expect(await failStaleJobs(lab, 60_000)).toBe(1);
    expect(await jobRow(jobId)).toMatchObject({ status: 'queued', locked_by: null });
    expect((await getRun(lab, runId)).status).toBe('queued');

    // The lost worker comes back: its lease is gone, so it is told it lost the job (not that the
    // job was cancelled) and cannot close it.
    const second = (await claimJob(lab, 'w2'))!;
    expect(second).toMatchObject({ id: jobId, attempts: 2, locked_by: 'w2' });
    expect(await heartbeat(lab, jobId, 'lost-1')).toBe('lost');
    expect(await heartbeat(lab, jobId, 'w2')).toBe('ok');
    await completeJob(lab, jobId, { status: 'failed', error: 'stale writer' }, 'lost-1');
    expect((await jobRow(jobId)).status).toBe('running');

    // The second worker is lost too: attempts are used up.
    await lab.db.kysely.updateTable('runs').set({ status: 'running' }).where('id', '=', runId).execute();
    await expire(jobId);
    expect(await failStaleJobs(lab, 60_000)).toBe(1);
    const job = await jobRow(jobId);
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/worker w2 stopped responding.*gave up after 2 attempt/);
    const run = await getRun(lab, runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/gave up after 2 attempt/);
  });

  it('only one of several workers noticing the same stale job acts on it', async () => {
    const runId = await runningRun();
    const jobId = await enqueueJob(lab, 'train', {}, runId, 3);
    await claimJob(lab, 'lost');
    await expire(jobId);
    await Promise.all([failStaleJobs(lab, 60_000), failStaleJobs(lab, 60_000), failStaleJobs(lab, 60_000)]);
    const claims = await Promise.all([claimJob(lab, 'a'), claimJob(lab, 'b')]);
    expect(claims.filter((c) => c?.id === jobId)).toHaveLength(1);
    expect((await jobRow(jobId)).attempts).toBe(2);
    await completeJob(lab, jobId, { status: 'succeeded' });
  });

  it('a worker lost after its run ended closes the job as the run ended, without a re-run', async () => {
    const runId = await runningRun();
    const jobId = await enqueueJob(lab, 'train', {}, runId, 3);
    await claimJob(lab, 'lost');
    await lab.db.kysely.updateTable('runs').set({ status: 'succeeded' }).where('id', '=', runId).execute();
    await expire(jobId);
    await failStaleJobs(lab, 60_000);
    expect((await jobRow(jobId)).status).toBe('succeeded');
    expect(await claimJob(lab, 'idle')).toBeUndefined();
  });

  it('persists published events for other processes, in order, and prunes old ones', async () => {
    const runId = await runningRun();
    const persistence = persistRunEvents(lab, 20);
    publish({ type: 'phase', run_id: runId, phase: 'load' });
    publish({ type: 'epoch', run_id: runId, epoch: 1, epochs: 2, loss: 0.5, eta_seconds: 1 });
    await persistence.stop();
    const stored = await readRunEvents(lab, runId);
    expect(stored.map((s) => s.event.type)).toEqual(['phase', 'epoch']);
    expect(stored.every((s) => s.source === processSource)).toBe(true);
    // A process tailing the run skips its own events (they reach its clients in memory)...
    expect(await readRunEvents(lab, runId, 0, processSource)).toEqual([]);
    // ...and relays the others' as they arrive.
    await lab.db.kysely
      .insertInto('run_events')
      .values({
        run_id: runId,
        source: 'other-host:1',
        type: 'status',
        data: JSON.stringify({ type: 'status', run_id: runId, status: 'succeeded' }),
        ts: Date.now(),
      })
      .execute();
    const seen: string[] = [];
    const stop = tailRunEvents(lab, runId, (e) => seen.push(e.type), 20);
    await waitFor(() => seen.length > 0, 'an event of another process to be relayed');
    stop();
    expect(seen).toEqual(['status']);
    await lab.db.kysely
      .updateTable('run_events')
      .set({ ts: Date.now() - 2 * 86_400_000 })
      .where('run_id', '=', runId)
      .execute();
    expect(await pruneRunEvents(lab)).toBeGreaterThanOrEqual(3);
    expect(await readRunEvents(lab, runId)).toEqual([]);
  });
});
