/**
 * Hyper-parameter search trials as queued jobs (src/training/search.ts, search-trial.ts): trials
 * spread over every worker, a single worker still completes the search (it takes its own trials),
 * a failed trial is recorded without failing the search, cancelling the search cancels its queued
 * and running trials, and `trainBest` registers a model with the best trial's parameters. Faults
 * (a trial that crashes, trials that train until cancelled) are injected into the training thread.
 */
import { afterEach, beforeAll, afterAll, expect, it, vi } from 'vitest';
import { getRun, type RunView } from '../../src/experiments/runs.js';
import { getTrainer } from '../../src/nlp/registry.js';
import { CancelledError } from '../../src/nlp/types.js';
import { JobWorker } from '../../src/training/jobs.js';
import { requestCancel } from '../../src/training/pipeline.js';
import type { SearchRequest } from '../../src/training/search.js';
import { jobHandlers, startSearch, type Queued } from '../../src/training/service.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import { waitFor } from '../support/wait.js';
import { seedBanking77, SUBSET_INTENTS } from './support.js';

const faults = vi.hoisted(() => ({
  /** Trials with this learning rate crash in their training thread. */
  crashLearningRate: undefined as number | undefined,
  /** Every trial trains until it is cancelled. */
  trainUntilCancelled: false,
}));

vi.mock('../../src/training/runner.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/training/runner.js')>();
  return {
    ...real,
    trainInWorker: (...args: Parameters<typeof real.trainInWorker>) => {
      const [task] = args;
      if (task.params.learning_rate === faults.crashLearningRate) {
        return {
          result: new Promise((_, reject) => setImmediate(() => reject(new Error('injected: trial crashed')))),
          cancel() {},
        };
      }
      if (faults.trainUntilCancelled) {
        let stop: (err: Error) => void = () => {};
        const result = new Promise((_, reject) => (stop = reject));
        return { result, cancel: () => stop(new CancelledError()) };
      }
      return real.trainInWorker(...args);
    },
  };
});

describeEachDialect('search trials as jobs', (dialect) => {
  let lab: TestLab;
  let datasetId: number;
  let workers: JobWorker[] = [];
  beforeAll(async () => {
    lab = await createTestLab(dialect);
    datasetId = await seedBanking77(lab, { intents: SUBSET_INTENTS.slice(0, 5), trainPerIntent: 12, testPerIntent: 3 });
  });
  afterEach(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    workers = [];
    faults.crashLearningRate = undefined;
    faults.trainUntilCancelled = false;
  });
  afterAll(async () => lab?.cleanup());

  const startWorkers = (n: number) => {
    workers = Array.from({ length: n }, () => new JobWorker(lab, jobHandlers, { pollMs: 20, heartbeatMs: 100 }));
    for (const w of workers) w.start();
    return workers;
  };
  const queueSearch = async (req: Partial<SearchRequest>) =>
    (await startSearch(
      lab,
      { datasetId, modelType: 'tfidf-linear', space: { learning_rate: [0.01, 0.02, 0.05] }, ...req },
      true,
    )) as Queued;
  const ended = (runId: number) =>
    waitFor(async () => {
      const run = await getRun(lab, runId);
      return ['succeeded', 'failed', 'cancelled'].includes(run.status) && run;
    }, `run ${runId} to end`);
  const trialJobs = (parentRunId: number) =>
    lab.db.kysely
      .selectFrom('jobs')
      .innerJoin('runs', 'runs.id', 'jobs.run_id')
      .select(['jobs.kind', 'jobs.status', 'jobs.locked_by', 'runs.id as run_id', 'runs.status as run_status'])
      .where('runs.parent_run_id', '=', parentRunId)
      .orderBy('runs.id')
      .execute();

  // Two workers on PostgreSQL (the dialect several hosts share); one worker on SQLite.
  it.runIf(dialect === 'postgres')(
    'spreads the trials over two workers; train-best registers the best parameters',
    async () => {
      const [w1, w2] = startWorkers(2);
      const queued = await queueSearch({
        space: { learning_rate: [0.005, 0.02], num_epochs: [2, 4] },
        trainBest: true,
      });
      const parent = (await ended(queued.run_id)) as RunView;
      expect(parent.status, parent.error ?? '').toBe('succeeded');
      const metrics = parent.metrics as {
        leaderboard: Array<{ run_id: number; params: Record<string, unknown> }>;
        best_params: Record<string, unknown>;
        best_run_id: number;
        failed_trials: unknown[];
        best_model: { run_id: number; status: string; model_version: number | null };
      };
      expect(metrics.leaderboard).toHaveLength(4);
      expect(metrics.failed_trials).toEqual([]);

      const jobs = await trialJobs(parent.id);
      expect(jobs).toHaveLength(4);
      expect(jobs.every((j) => j.kind === 'search-trial' && j.status === 'succeeded')).toBe(true);
      // Each trial was its own job, and both workers took some.
      expect(new Set(jobs.map((j) => j.locked_by))).toEqual(new Set([w1!.id, w2!.id]));

      expect(metrics.best_model.status).toBe('succeeded');
      expect(metrics.best_model.model_version).toEqual(expect.any(Number));
      const final = await getRun(lab, metrics.best_model.run_id);
      const bestTrial = await getRun(lab, metrics.best_run_id);
      const spec = Object.keys(getTrainer('tfidf-linear').paramSpec);
      const pick = (params: Record<string, unknown>) => Object.fromEntries(spec.map((k) => [k, params[k]]));
      expect(pick(final.params)).toEqual(pick(bestTrial.params));
      expect(final.params).toMatchObject(metrics.best_params);
      expect(final.tags).toMatchObject({ kind: 'search-best', search_run_id: String(parent.id) });
    },
  );

  it.runIf(dialect === 'sqlite')(
    'completes on one worker, which takes its own trials; a crashed trial is recorded',
    async () => {
      const [w] = startWorkers(1);
      faults.crashLearningRate = 0.02;
      const queued = await queueSearch({});
      const parent = (await ended(queued.run_id)) as RunView;
      expect(parent.status, parent.error ?? '').toBe('succeeded');
      const metrics = parent.metrics as {
        leaderboard: Array<{ params: { learning_rate: number } }>;
        failed_trials: Array<{ status: string; error: string; params: { learning_rate: number } }>;
        trials: number;
      };
      expect(metrics.trials).toBe(3);
      expect(metrics.leaderboard.map((e) => e.params.learning_rate).sort()).toEqual([0.01, 0.05]);
      expect(metrics.failed_trials).toEqual([
        expect.objectContaining({
          status: 'failed',
          error: 'injected: trial crashed',
          params: { learning_rate: 0.02 },
        }),
      ]);
      const jobs = await trialJobs(parent.id);
      expect(jobs.map((j) => j.locked_by)).toEqual([w!.id, w!.id, w!.id]);
      expect(jobs.map((j) => j.run_status)).toEqual(['succeeded', 'failed', 'succeeded']);
    },
  );

  it('cancelling the search cancels its running and queued trials', async () => {
    startWorkers(2);
    faults.trainUntilCancelled = true;
    const queued = await queueSearch({});
    // One trial runs inside the search's worker, one on the other worker; the third waits.
    await waitFor(
      async () => (await trialJobs(queued.run_id)).filter((j) => j.run_status === 'running').length === 2,
      'two trials running',
    );
    await requestCancel(lab, queued.run_id);
    const parent = (await ended(queued.run_id)) as RunView;
    expect(parent.status).toBe('cancelled');
    const jobs = await waitFor(async () => {
      const rows = await trialJobs(queued.run_id);
      return rows.every((j) => j.status === 'cancelled' && j.run_status === 'cancelled') && rows;
    }, 'every trial cancelled');
    expect(jobs).toHaveLength(3);
  });
});
