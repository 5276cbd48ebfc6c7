/**
 * The run tracker (MLflow-shaped): experiments group runs; a run has status, parameters, tags,
 * metric history by step, artifacts and summary metrics. Plain repository functions over Kysely.
 */
import { sql } from 'kysely';
import { hostname } from 'node:os';
import type { LabContext } from '../lab/context.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import type { Job, Run } from '../db/schema.js';

export type RunStatus = Run['status'];
export const TERMINAL_STATUSES: RunStatus[] = ['succeeded', 'failed', 'cancelled'];
export const OPEN_STATUSES: RunStatus[] = ['queued', 'running'];

export interface RunView {
  id: number;
  experiment: string;
  experiment_id: number;
  parent_run_id: number | null;
  name: string;
  dataset_id: number | null;
  model_type: string;
  status: RunStatus;
  params: Record<string, unknown>;
  tags: Record<string, string>;
  metrics: Record<string, unknown> | null;
  error: string | null;
  run_dir: string | null;
  git_commit: string | null;
  started_at: string | null;
  ended_at: string | null;
  duration_ms: number | null;
  created_at: string;
  model_version: number | null;
}

export interface RunDetail extends RunView {
  metric_history: Array<{ key: string; step: number; value: number; ts: number }>;
  artifacts: Array<{ path: string; kind: string; size_bytes: number; sha256: string }>;
  children: number[];
}

const nowIso = () => new Date().toISOString();

/**
 * The owner recorded on runs this process creates (`host:pid:token`), with a heartbeat, until an
 * execution takes the run over with its own token (src/training/ownership.ts).
 */
export const processOwner = `${hostname()}:${process.pid}:process`;

export async function getOrCreateExperiment(lab: LabContext, name: string): Promise<number> {
  const db = lab.db.kysely;
  const found = await db.selectFrom('experiments').select('id').where('name', '=', name).executeTakeFirst();
  if (found) return found.id;
  try {
    const row = await db.insertInto('experiments').values({ name }).returning('id').executeTakeFirstOrThrow();
    return row.id;
  } catch (err) {
    // Two creators raced: the other one's row is the experiment.
    const again = await db.selectFrom('experiments').select('id').where('name', '=', name).executeTakeFirst();
    if (again) return again.id;
    throw err;
  }
}

export interface NewRun {
  experiment?: string;
  name?: string;
  parentRunId?: number | null;
  datasetId: number | null;
  modelType: string;
  params: Record<string, unknown>;
  tags?: Record<string, string>;
  status?: RunStatus;
  gitCommit?: string | null;
}

export async function createRun(lab: LabContext, run: NewRun): Promise<number> {
  const experimentId = await getOrCreateExperiment(lab, run.experiment ?? 'default');
  const status = run.status ?? 'queued';
  return lab.db.kysely.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('runs')
      .values({
        experiment_id: experimentId,
        parent_run_id: run.parentRunId ?? null,
        name: run.name ?? `${run.modelType}`,
        dataset_id: run.datasetId,
        model_type: run.modelType,
        status,
        tags: JSON.stringify(run.tags ?? {}),
        git_commit: run.gitCommit ?? null,
        started_at: status === 'running' ? nowIso() : null,
        owner: processOwner,
        heartbeat_at: Date.now(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const params = Object.entries(run.params);
    if (params.length) {
      await trx
        .insertInto('run_params')
        .values(params.map(([key, value]) => ({ run_id: row.id, key, value: JSON.stringify(value) })))
        .execute();
    }
    return row.id;
  });
}

/**
 * Takes a queued run: running, owned by `owner`. Only a queued run is taken, so a cancel that
 * arrived while it waited is never overwritten; returns whether this caller took it.
 */
export async function markRunning(
  lab: LabContext,
  runId: number,
  patch: { runDir?: string; owner?: string } = {},
): Promise<boolean> {
  const result = await lab.db.kysely
    .updateTable('runs')
    .set({
      status: 'running',
      started_at: nowIso(),
      ...(patch.runDir ? { run_dir: patch.runDir } : {}),
      owner: patch.owner ?? processOwner,
      heartbeat_at: Date.now(),
    })
    .where('id', '=', runId)
    .where('status', '=', 'queued')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function setRunDir(lab: LabContext, runId: number, runDir: string): Promise<void> {
  await lab.db.kysely.updateTable('runs').set({ run_dir: runDir }).where('id', '=', runId).execute();
}

/** Ends a run once: a run already in a terminal state keeps it (a cancel does not become failed). */
export async function finishRun(
  lab: LabContext,
  runId: number,
  outcome: { status: 'succeeded' | 'failed' | 'cancelled'; metrics?: Record<string, unknown>; error?: string },
  trx = lab.db.kysely,
): Promise<void> {
  const run = await trx
    .selectFrom('runs')
    .select(['started_at', 'created_at'])
    .where('id', '=', runId)
    .executeTakeFirst();
  if (!run) return;
  const ended = new Date();
  const started = Date.parse(run.started_at ?? run.created_at);
  await trx
    .updateTable('runs')
    .set({
      status: outcome.status,
      summary_metrics: outcome.metrics ? JSON.stringify(outcome.metrics) : undefined,
      error: outcome.error ?? null,
      ended_at: ended.toISOString(),
      duration_ms: Number.isFinite(started) ? ended.getTime() - started : null,
    })
    .where('id', '=', runId)
    .where('status', 'not in', TERMINAL_STATUSES)
    .execute();
}

/** A run's status and owner (inside `trx` when given, e.g. the commit of its outcome). */
export async function getRunState(
  lab: LabContext,
  runId: number,
  trx = lab.db.kysely,
): Promise<{ status: RunStatus; owner: string | null } | undefined> {
  return trx.selectFrom('runs').select(['status', 'owner']).where('id', '=', runId).executeTakeFirst();
}

/**
 * Records that `owner` is still executing the run, and beats for its open children (the trials of
 * a search). False when the run is no longer running under this owner.
 */
export async function beatRun(lab: LabContext, runId: number, owner: string): Promise<boolean> {
  const now = Date.now();
  const beat = await lab.db.kysely
    .updateTable('runs')
    .set({ heartbeat_at: now })
    .where('id', '=', runId)
    .where('owner', '=', owner)
    .where('status', '=', 'running')
    .executeTakeFirst();
  if (Number(beat.numUpdatedRows) !== 1) return false;
  await lab.db.kysely
    .updateTable('runs')
    .set({ heartbeat_at: now })
    .where('parent_run_id', '=', runId)
    .where('status', 'in', OPEN_STATUSES)
    .execute();
  return true;
}

/** Puts an open run back in the queue with the reason (its job was re-queued or released). */
export async function requeueRun(lab: LabContext, runId: number, error: string): Promise<void> {
  await lab.db.kysely
    .updateTable('runs')
    .set({ status: 'queued', error })
    .where('id', '=', runId)
    .where('status', 'in', OPEN_STATUSES)
    .execute();
}

/** Fails the open children of `parentRunId` that have no job of their own (they ran inside it). */
export async function failInlineChildren(lab: LabContext, parentRunId: number, error: string): Promise<void> {
  await lab.db.kysely
    .updateTable('runs')
    .set({ status: 'failed', error })
    .where('parent_run_id', '=', parentRunId)
    .where('status', 'in', OPEN_STATUSES)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('jobs').select('jobs.id').whereRef('jobs.run_id', '=', 'runs.id'))),
    )
    .execute();
}

export interface RunWithJob {
  id: number;
  name: string;
  status: RunStatus;
  job_id: number | null;
  job_status: Job['status'] | null;
  job_error: string | null;
}

/** Runs with the state of their job (null when they have none): the children of a run, or the given ids. */
export async function runsWithJobs(
  lab: LabContext,
  which: { parentRunId: number } | { ids: number[] },
): Promise<RunWithJob[]> {
  if ('ids' in which && which.ids.length === 0) return [];
  let q = lab.db.kysely
    .selectFrom('runs')
    .leftJoin('jobs', 'jobs.run_id', 'runs.id')
    .select([
      'runs.id',
      'runs.name',
      'runs.status',
      'jobs.id as job_id',
      'jobs.status as job_status',
      'jobs.error as job_error',
    ]);
  q = 'ids' in which ? q.where('runs.id', 'in', which.ids) : q.where('runs.parent_run_id', '=', which.parentRunId);
  return q.orderBy('runs.id').execute();
}

export interface OpenRunOwnership {
  id: number;
  owner: string | null;
  heartbeat_at: number | null;
  parent_run_id: number | null;
  parent_owner: string | null;
  parent_heartbeat_at: number | null;
  parent_status: RunStatus | null;
}

/**
 * Queued or running runs that no live job holds (neither theirs nor their parent's), with their
 * owner's and their parent's owner's last beat: the candidates of the interrupted-run sweep.
 */
export async function openRunsWithoutJob(lab: LabContext): Promise<OpenRunOwnership[]> {
  const rows = await lab.db.kysely
    .selectFrom('runs')
    .leftJoin('runs as parent', 'parent.id', 'runs.parent_run_id')
    .select([
      'runs.id',
      'runs.owner',
      'runs.heartbeat_at',
      'runs.parent_run_id',
      'parent.owner as parent_owner',
      'parent.heartbeat_at as parent_heartbeat_at',
      'parent.status as parent_status',
    ])
    .where('runs.status', 'in', OPEN_STATUSES)
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
  // PostgreSQL returns bigint columns as strings.
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return rows.map((r) => ({
    ...r,
    heartbeat_at: num(r.heartbeat_at),
    parent_heartbeat_at: num(r.parent_heartbeat_at),
  }));
}

/** The id of a run that trained on the dataset, if any. */
export async function anyRunOnDataset(lab: LabContext, datasetId: number): Promise<number | undefined> {
  const row = await lab.db.kysely
    .selectFrom('runs')
    .select('id')
    .where('dataset_id', '=', datasetId)
    .limit(1)
    .executeTakeFirst();
  return row?.id;
}

/** The newest queued or running run of a model type on a dataset. */
export async function latestOpenRun(
  lab: LabContext,
  where: { datasetId: number; modelType: string },
): Promise<number | undefined> {
  const row = await lab.db.kysely
    .selectFrom('runs')
    .select('id')
    .where('dataset_id', '=', where.datasetId)
    .where('model_type', '=', where.modelType)
    .where('status', 'in', OPEN_STATUSES)
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return row?.id;
}

/** The newest model version registered by a run of a model type on a dataset. */
export async function latestVersionTrainedOn(
  lab: LabContext,
  where: { datasetId: number; modelType: string },
): Promise<number | undefined> {
  const row = await lab.db.kysely
    .selectFrom('model_versions')
    .innerJoin('runs', 'runs.id', 'model_versions.run_id')
    .select('model_versions.version')
    .where('runs.dataset_id', '=', where.datasetId)
    .where('runs.model_type', '=', where.modelType)
    .orderBy('model_versions.version', 'desc')
    .executeTakeFirst();
  return row ? Number(row.version) : undefined;
}

export async function logMetrics(
  lab: LabContext,
  runId: number,
  points: Array<{ key: string; step: number; value: number }>,
): Promise<void> {
  const finite = points.filter((p) => Number.isFinite(p.value));
  if (finite.length === 0) return;
  const ts = Date.now();
  await lab.db.kysely
    .insertInto('metric_history')
    .values(finite.map((p) => ({ run_id: runId, key: p.key, step: p.step, value: p.value, ts })))
    .execute();
}

export async function addArtifacts(
  lab: LabContext,
  runId: number,
  artifacts: Array<{ path: string; kind: string; size_bytes: number; sha256: string }>,
  trx = lab.db.kysely,
): Promise<void> {
  if (artifacts.length === 0) return;
  await trx
    .insertInto('artifacts')
    .values(artifacts.map((a) => ({ run_id: runId, ...a })))
    .execute();
}

function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

async function views(lab: LabContext, rows: Array<Run & { experiment: string }>): Promise<RunView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const db = lab.db.kysely;
  const [params, versions] = await Promise.all([
    db.selectFrom('run_params').selectAll().where('run_id', 'in', ids).execute(),
    db.selectFrom('model_versions').select(['run_id', 'version']).where('run_id', 'in', ids).execute(),
  ]);
  return rows.map((r) => ({
    id: r.id,
    experiment: r.experiment,
    experiment_id: r.experiment_id,
    parent_run_id: r.parent_run_id,
    name: r.name,
    dataset_id: r.dataset_id,
    model_type: r.model_type,
    status: r.status,
    params: Object.fromEntries(
      params.filter((p) => p.run_id === r.id).map((p) => [p.key, parseJson(p.value, p.value)]),
    ),
    tags: parseJson(r.tags, {}),
    metrics: parseJson(r.summary_metrics, null),
    error: r.error,
    run_dir: r.run_dir,
    git_commit: r.git_commit,
    started_at: r.started_at,
    ended_at: r.ended_at,
    duration_ms: r.duration_ms === null ? null : Number(r.duration_ms),
    created_at: r.created_at,
    model_version: versions.find((v) => v.run_id === r.id)?.version ?? null,
  }));
}

function runQuery(lab: LabContext) {
  return lab.db.kysely
    .selectFrom('runs')
    .innerJoin('experiments', 'experiments.id', 'runs.experiment_id')
    .selectAll('runs')
    .select('experiments.name as experiment');
}

export interface RunFilter {
  status?: RunStatus;
  experiment?: string;
  parentRunId?: number;
  datasetId?: number;
  modelType?: string;
  /** `key` (the run has that tag) or `key=value`. */
  tag?: string;
  limit?: number;
  offset?: number;
  /** Runs older than this id (the `next_cursor` of the previous page). */
  before?: number;
}

/** A LIKE pattern over the stored tags JSON (`{"key":"value",…}`, written by JSON.stringify). */
function tagPattern(tag: string): string {
  const eq = tag.indexOf('=');
  const needle =
    eq < 0 ? `${JSON.stringify(tag)}:` : `${JSON.stringify(tag.slice(0, eq))}:${JSON.stringify(tag.slice(eq + 1))}`;
  return `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export async function listRuns(lab: LabContext, filter: RunFilter = {}): Promise<RunView[]> {
  let q = runQuery(lab);
  if (filter.status) q = q.where('runs.status', '=', filter.status);
  if (filter.experiment) q = q.where('experiments.name', '=', filter.experiment);
  if (filter.parentRunId !== undefined) q = q.where('runs.parent_run_id', '=', filter.parentRunId);
  if (filter.datasetId !== undefined) q = q.where('runs.dataset_id', '=', filter.datasetId);
  if (filter.modelType) q = q.where('runs.model_type', '=', filter.modelType);
  if (filter.tag) q = q.where(sql<boolean>`runs.tags like ${tagPattern(filter.tag)} escape '\\'`);
  if (filter.before !== undefined) q = q.where('runs.id', '<', filter.before);
  const rows = await q
    .orderBy('runs.id', 'desc')
    .limit(filter.limit ?? 50)
    .offset(filter.offset ?? 0)
    .execute();
  return views(lab, rows);
}

export async function getRun(lab: LabContext, runId: number): Promise<RunView> {
  const row = await runQuery(lab).where('runs.id', '=', runId).executeTakeFirst();
  if (!row) throw new NotFoundError('run', runId);
  return (await views(lab, [row]))[0]!;
}

export async function getRunDetail(lab: LabContext, runId: number): Promise<RunDetail> {
  const run = await getRun(lab, runId);
  const db = lab.db.kysely;
  const [history, artifacts, children] = await Promise.all([
    db
      .selectFrom('metric_history')
      .select(['key', 'step', 'value', 'ts'])
      .where('run_id', '=', runId)
      .orderBy('key')
      .orderBy('step')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('artifacts')
      .select(['path', 'kind', 'size_bytes', 'sha256'])
      .where('run_id', '=', runId)
      .orderBy('id')
      .execute(),
    db.selectFrom('runs').select('id').where('parent_run_id', '=', runId).orderBy('id').execute(),
  ]);
  return {
    ...run,
    metric_history: history.map((h) => ({ ...h, ts: Number(h.ts) })),
    artifacts: artifacts.map((a) => ({ ...a, size_bytes: Number(a.size_bytes) })),
    children: children.map((c) => c.id),
  };
}

export function parseRunId(value: string | number, field = 'id'): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new ValidationError(`${field} must be a positive run id`, [{ field, problem: 'must be a positive integer' }]);
  return n;
}
