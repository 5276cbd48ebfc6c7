/**
 * Hyper-parameter search: a parent run with one child run per trial, each trial a queued job of
 * its own (src/training/search-trial.ts) so trials spread over every worker. Each trial is scored
 * on validation data only (k-fold cross-validation on the training pool, or the carved validation
 * split when folds < 2); the test split is never touched. The best parameters can then be trained
 * once (`trainBest`, or `chatlab train`) and evaluated honestly.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { LabContext } from '../lab/context.js';
import { ValidationError, type ErrorDetail } from '../core/errors.js';
import { writeRunArtifacts } from '../experiments/artifacts.js';
import { createRun, finishRun, getRun, logMetrics, runsWithJobs, type RunView } from '../experiments/runs.js';
import { seededRandom } from '../nlp/random.js';
import { getTrainer } from '../nlp/registry.js';
import type { ParamSpec } from '../nlp/types.js';
import type { RunControl } from './control.js';
import { checkTrainable, loadExamples } from './data.js';
import { addEventSink } from './events.js';
import { cancelChildJobs, claimJob, enqueueJob, executeClaimedJob, failStaleJobs } from './jobs.js';
import { executeLifecycle, runBeatMs, type RunCompletion, type RunScope } from './lifecycle.js';
import { validateParams, withDefaults, type ParamValue } from '../nlp/params.js';
import { checkModelType, executeRun, gitCommit, prepareRun, resolveDataset, trainTestOf } from './pipeline.js';
import { runFolder } from './run-folder.js';
import { dict, own } from '../core/dict.js';
import { checkSearchSize } from './search-size.js';
import { trialJob, type PreparedTrial, type TrialScore } from './search-trial.js';

export type SpaceEntry = ParamValue[] | { min: number; max: number; log?: boolean };

export interface SearchRequest {
  datasetId?: string | number;
  datasetType?: string;
  modelType: string;
  space: Record<string, SpaceEntry>;
  strategy?: 'grid' | 'random';
  trials?: number;
  /** k for k-fold scoring; 0 or 1 scores on the validation split. */
  folds?: number;
  seed?: number;
  metric?: 'accuracy' | 'macro_f1';
  experiment?: string;
  /** Train and register a model with the best trial's parameters once the search ends. */
  trainBest?: boolean;
}

export interface LeaderboardEntry {
  rank: number;
  run_id: number;
  params: Record<string, ParamValue>;
  score: number;
  accuracy: number;
  macro_f1: number;
  std: number | null;
}

function fail(details: ErrorDetail[]): never {
  throw new ValidationError(details.map((d) => `${d.field} ${d.problem}`).join('; '), details);
}

/** Checks the search space against the trainer's parameter spec; returns the trials to run. */
export function planTrials(
  spec: Record<string, ParamSpec>,
  space: Record<string, SpaceEntry>,
  strategy: 'grid' | 'random',
  trials: number | undefined,
  seed: number,
): Array<Record<string, ParamValue>> {
  if (!space || typeof space !== 'object' || Object.keys(space).length === 0) {
    fail([{ field: 'space', problem: 'must name at least one parameter, e.g. {"learning_rate": [0.1, 0.3]}' }]);
  }
  const details: ErrorDetail[] = [];
  for (const [name, entry] of Object.entries(space)) {
    const s = own(spec, name);
    const field = `space.${name}`;
    if (!s) {
      details.push({ field, problem: `unknown parameter; known: ${Object.keys(spec).join(', ')}` });
      continue;
    }
    if (Array.isArray(entry)) {
      if (entry.length === 0) details.push({ field, problem: 'must list at least one value' });
      entry.forEach((v, i) => {
        try {
          validateParams({ [name]: s }, { [name]: v }, 'space');
        } catch (err) {
          details.push({
            field: `${field}[${i}]`,
            problem: (err as ValidationError).details[0]?.problem ?? 'is invalid',
          });
        }
      });
    } else if (entry && typeof entry === 'object') {
      if (s.type !== 'int' && s.type !== 'float')
        details.push({ field, problem: 'a {min, max} range needs a numeric parameter; list the values instead' });
      else if (typeof entry.min !== 'number' || typeof entry.max !== 'number' || !(entry.min < entry.max)) {
        details.push({ field, problem: 'needs numbers min < max' });
      } else {
        if (s.min !== undefined && entry.min < s.min)
          details.push({ field: `${field}.min`, problem: `must be >= ${s.min}` });
        if (s.max !== undefined && entry.max > s.max)
          details.push({ field: `${field}.max`, problem: `must be <= ${s.max}` });
        if (entry.log && entry.min <= 0)
          details.push({ field: `${field}.min`, problem: 'must be > 0 for a log range' });
        if (strategy === 'grid')
          details.push({ field, problem: 'grid search needs a list of values; use strategy "random" for ranges' });
      }
    } else {
      details.push({ field, problem: 'must be a list of values or {min, max, log}' });
    }
  }
  if (details.length) fail(details);

  const names = Object.keys(space);
  if (strategy === 'grid') {
    let combos: Array<Record<string, ParamValue>> = [{}];
    for (const name of names) {
      combos = combos.flatMap((c) => (space[name] as ParamValue[]).map((v) => ({ ...c, [name]: v })));
    }
    return trials !== undefined ? combos.slice(0, trials) : combos;
  }
  const random = seededRandom(seed);
  const out: Array<Record<string, ParamValue>> = [];
  for (let t = 0; t < (trials ?? 10); t++) {
    const params = dict<ParamValue>();
    for (const name of names) {
      const entry = space[name]!;
      if (Array.isArray(entry)) params[name] = entry[Math.floor(random() * entry.length)]!;
      else {
        const u = random();
        let v = entry.log
          ? Math.exp(Math.log(entry.min) + u * (Math.log(entry.max) - Math.log(entry.min)))
          : entry.min + u * (entry.max - entry.min);
        if (spec[name]!.type === 'int') v = Math.round(v);
        params[name] = v;
      }
    }
    out.push(params);
  }
  return out;
}

export interface PreparedSearch {
  runId: number;
  datasetId: number;
  modelType: string;
  trials: Array<Record<string, ParamValue>>;
  folds: number;
  seed: number;
  metric: 'accuracy' | 'macro_f1';
  experiment: string;
  trainBest: boolean;
}

export async function prepareSearch(lab: LabContext, req: SearchRequest): Promise<PreparedSearch> {
  const modelType = checkModelType(req.modelType);
  const strategy = req.strategy ?? 'grid';
  if (strategy !== 'grid' && strategy !== 'random')
    fail([{ field: 'strategy', problem: 'must be "grid" or "random"' }]);
  const folds = req.folds ?? 0;
  if (!Number.isInteger(folds) || folds < 0 || folds > 20)
    fail([{ field: 'folds', problem: 'must be an integer between 0 and 20' }]);
  const metric = req.metric ?? 'accuracy';
  if (metric !== 'accuracy' && metric !== 'macro_f1')
    fail([{ field: 'metric', problem: 'must be "accuracy" or "macro_f1"' }]);
  const seed = req.seed ?? 42;
  checkSearchSize(req.space, strategy, req.trials, lab.settings.maxSearchTrials);
  const trials = planTrials(getTrainer(modelType).paramSpec, req.space, strategy, req.trials, seed);
  const dataset = await resolveDataset(lab, req);
  checkTrainable(trainTestOf(await loadExamples(lab, dataset.id), seed).train, dataset.name);
  const experiment = req.experiment ?? 'hyperparameter-search';
  const trainBest = req.trainBest ?? false;
  const runId = await createRun(lab, {
    experiment,
    name: `search-${modelType}-${dataset.name}`,
    datasetId: dataset.id,
    modelType,
    params: { strategy, trials: trials.length, folds, seed, metric, space: req.space, train_best: trainBest },
    tags: { kind: 'search' },
    gitCommit: gitCommit(),
  });
  return { runId, datasetId: dataset.id, modelType, trials, folds, seed, metric, experiment, trainBest };
}

/** How long the search waits between looks at its trials' rows when none of them is left to take. */
const TRIAL_POLL_MS = 250;

/**
 * Runs the search: each trial is a child run with a `search-trial` job of its own, so every worker
 * can take trials. The search does not hold its worker idle meanwhile: it takes its own queued
 * trials too, so a single worker completes the search alone, and it only waits (watching the
 * trials' rows) once every trial is taken. A failed trial is recorded; cancelling the search
 * cancels its open trials. With `trainBest`, the best parameters are then trained and registered.
 */
export async function executeSearch(
  lab: LabContext,
  prepared: PreparedSearch,
  control?: RunControl,
  workerId = `${hostname()}:${process.pid}:search-${randomBytes(4).toString('hex')}`,
): Promise<RunView> {
  const { runId, metric } = prepared;
  const runDir = runFolder(lab.settings.runsDir, 'search', runId);
  return executeLifecycle(lab, { runId, runDir, control }, async (run) => {
    // A search that ends without its results takes its open trials with it (not on a release:
    // the search and its trials carry on under the next worker).
    run.onAbort(({ status, reason }) =>
      cancelChildJobs(lab, runId, status === 'cancelled' ? 'search cancelled' : `search failed: ${reason}`),
    );
    const trials = await queueTrials(lab, prepared);
    await driveTrials(run, trials, workerId);
    const ended = await Promise.all(trials.map((t) => getRun(lab, t.runId)));
    const entries: Array<Omit<LeaderboardEntry, 'rank'>> = [];
    const failed: FailedTrial[] = [];
    for (const [t, trialRun] of ended.entries()) {
      const score = trialRun.metrics as Partial<TrialScore> | null;
      if (trialRun.status !== 'succeeded' || typeof score?.score !== 'number') {
        failed.push({ run_id: trialRun.id, params: trials[t]!.params, status: trialRun.status, error: trialRun.error });
        continue;
      }
      await logMetrics(lab, runId, [{ key: `trial_${metric}`, step: t, value: score.score }]);
      entries.push({
        run_id: trialRun.id,
        params: trials[t]!.params,
        score: score.score,
        accuracy: score.val_accuracy!,
        macro_f1: score.val_macro_f1!,
        std: score.std ?? null,
      });
    }
    if (entries.length === 0) {
      throw new Error(`every trial failed (first: trial run ${failed[0]?.run_id}: ${failed[0]?.error ?? 'no error'})`);
    }
    run.say(`${entries.length} trial(s) succeeded, ${failed.length} did not`);
    const completion = writeLeaderboard(run, metric, entries, failed);
    if (prepared.trainBest) {
      const best = (completion.metrics as { best_params: Record<string, ParamValue> }).best_params;
      completion.metrics.best_model = await trainBest(run, prepared, best);
    }
    return completion;
  });
}

interface QueuedTrial {
  runId: number;
  params: Record<string, ParamValue>;
}

interface FailedTrial {
  run_id: number;
  params: Record<string, ParamValue>;
  status: string;
  error: string | null;
}

/**
 * Creates each trial's run and job. A search that restarts (its worker stopped) finds the trials
 * of its earlier attempt by name and keeps them: finished ones keep their score, open ones their job.
 */
async function queueTrials(lab: LabContext, prepared: PreparedSearch): Promise<QueuedTrial[]> {
  const { runId, modelType, seed, folds, metric } = prepared;
  const spec = getTrainer(checkModelType(modelType)).paramSpec;
  const existing = await runsWithJobs(lab, { parentRunId: runId });
  const byName = new Map(existing.map((r) => [r.name, r]));
  const queued: QueuedTrial[] = [];
  for (const [t, trialParams] of prepared.trials.entries()) {
    const name = `trial-${t + 1}`;
    const params = withDefaults(spec, trialParams);
    const found = byName.get(name);
    const trialRunId =
      found?.id ??
      (await createRun(lab, {
        experiment: prepared.experiment,
        name,
        parentRunId: runId,
        datasetId: prepared.datasetId,
        modelType,
        params: { ...params, seed, folds },
        tags: { kind: 'search-trial' },
        gitCommit: gitCommit(),
      }));
    if (found === undefined || (found.job_id === null && found.status === 'queued')) {
      const payload: PreparedTrial = {
        runId: trialRunId,
        parentRunId: runId,
        datasetId: prepared.datasetId,
        modelType,
        params,
        seed,
        folds,
        metric,
      };
      await enqueueJob(lab, 'search-trial', payload, trialRunId, lab.settings.jobMaxAttempts ?? 3);
    }
    queued.push({ runId: trialRunId, params: trialParams });
  }
  return queued;
}

/**
 * Takes this search's queued trials one by one and executes them here, then waits for the trials
 * other workers hold, until every trial run has ended. A trial whose job ended while its run
 * stayed open (a worker without the handler) is failed with the job's error.
 */
async function driveTrials(run: RunScope, trials: QueuedTrial[], workerId: string): Promise<void> {
  const { lab } = run;
  const ids = trials.map((t) => t.runId);
  const staleMs = (lab.settings.jobLeaseSeconds ?? 60) * 1000;
  let wake: (() => void) | undefined;
  // A trial that ends in this process wakes the wait at once; other processes' trials are seen
  // at the next look at the rows.
  const removeSink = addEventSink((event) => {
    if (event.type === 'status' && ids.includes(event.run_id)) wake?.();
  });
  let reported = -1;
  try {
    for (;;) {
      run.control.check();
      const job = await claimJob(lab, workerId, ids);
      if (job) {
        await executeClaimedJob(lab, job, workerId, trialJob, run.control.follower(), {
          heartbeatMs: runBeatMs(lab),
        });
        continue;
      }
      const rows = await runsWithJobs(lab, { ids });
      const open = new Set<number>();
      for (const row of rows) {
        if (row.status !== 'queued' && row.status !== 'running') continue;
        if (row.job_status === 'queued' || row.job_status === 'running') open.add(row.id);
      }
      for (const row of rows) {
        if ((row.status === 'queued' || row.status === 'running') && !open.has(row.id)) {
          await finishRun(lab, row.id, {
            status: 'failed',
            error: row.job_error ?? 'its job ended without running it',
          });
        }
      }
      if (trials.length - open.size !== reported) {
        reported = trials.length - open.size;
        run.phase('trials', { done: reported, total: trials.length });
      }
      if (open.size === 0) return;
      // Trials held by a worker that died go back to the queue (or fail) here too.
      await failStaleJobs(lab, staleMs);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, TRIAL_POLL_MS).unref();
      });
      wake = undefined;
    }
  } finally {
    removeSink();
  }
}

/** Trains and registers a model with the best trial's parameters (a run of its own, tagged with the search). */
async function trainBest(
  run: RunScope,
  prepared: PreparedSearch,
  best: Record<string, ParamValue>,
): Promise<{ run_id: number; status: string; model_version: number | null; error: string | null }> {
  run.phase('train-best', { message: JSON.stringify(best) });
  const final = await prepareRun(run.lab, {
    datasetId: prepared.datasetId,
    modelType: prepared.modelType,
    overrides: best,
    seed: prepared.seed,
    experiment: prepared.experiment,
    name: `search-${prepared.runId}-best`,
    tags: { kind: 'search-best', search_run_id: String(prepared.runId) },
  });
  const trained = await executeRun(run.lab, final, run.control.follower());
  run.say(`best parameters trained in run ${trained.id}: ${trained.status}`);
  return { run_id: trained.id, status: trained.status, model_version: trained.model_version, error: trained.error };
}

function writeLeaderboard(
  run: RunScope,
  metric: PreparedSearch['metric'],
  entries: Array<Omit<LeaderboardEntry, 'rank'>>,
  failed: FailedTrial[],
): RunCompletion {
  const leaderboard: LeaderboardEntry[] = entries
    .sort((a, b) => b.score - a.score || a.run_id - b.run_id)
    .map((e, i) => ({ rank: i + 1, ...e }));
  const best = leaderboard[0]!;
  const summary = {
    metric,
    best_score: best.score,
    best_params: best.params,
    best_run_id: best.run_id,
    trials: leaderboard.length + failed.length,
    leaderboard,
    failed_trials: failed,
  };
  return { metrics: summary, artifacts: writeRunArtifacts(run.runDir, { leaderboard: summary }) };
}

export async function runSearch(lab: LabContext, req: SearchRequest): Promise<RunView> {
  return executeSearch(lab, await prepareSearch(lab, req));
}
