/** Reading discovery runs and their clusters as the API, CLI and dashboard show them. */
import type { LabContext } from '../lab/context.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import type { DiscoveryClustersTable, DiscoveryRunsTable } from '../db/schema.js';
import type { Selectable } from 'kysely';
import type { DiscoveryCluster, DiscoveryRun } from '../api/contracts/discovery.js';

/** Representative turns shown per cluster (the closest to its centroid). */
export const EXAMPLES_PER_CLUSTER = 8;

/** A cluster and a run as the API, the CLI and the dashboard show them (the API's contract). */
export type ClusterView = DiscoveryCluster;
export type DiscoveryRunView = DiscoveryRun;

export function parseId(raw: unknown, field: string): number {
  const text = String(raw ?? '').trim();
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 2 ** 31 - 1) {
    throw new ValidationError(`${field} must be a positive integer (got ${JSON.stringify(raw)})`, [
      { field, problem: 'must be a positive integer' },
    ]);
  }
  return Number(text);
}

async function clusterViews(lab: LabContext, rows: Array<Selectable<DiscoveryClustersTable>>): Promise<ClusterView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  // The closest members of every cluster in one query (row_number per cluster).
  const examples = await lab.db.kysely
    .selectFrom((eb) =>
      eb
        .selectFrom('discovery_members as m')
        .innerJoin('turns as t', 't.id', 'm.turn_id')
        .select((inner) => [
          'm.cluster_id as cluster_id',
          'm.turn_id as turn_id',
          't.text as text',
          'm.similarity as similarity',
          inner.fn
            .agg<number>('row_number')
            .over((o) => o.partitionBy('m.cluster_id').orderBy('m.similarity', 'desc').orderBy('m.turn_id'))
            .as('rank'),
        ])
        .where('m.cluster_id', 'in', ids)
        .as('ranked'),
    )
    .selectAll()
    .where('rank', '<=', EXAMPLES_PER_CLUSTER)
    .orderBy('cluster_id')
    .orderBy('rank')
    .execute();
  const byCluster = new Map<number, ClusterView['examples']>();
  for (const e of examples) {
    const list = byCluster.get(Number(e.cluster_id)) ?? [];
    list.push({ turn_id: Number(e.turn_id), text: e.text, similarity: Number(e.similarity) });
    byCluster.set(Number(e.cluster_id), list);
  }
  return rows.map((r) => ({
    id: r.id,
    run_id: r.run_id,
    dataset_id: r.dataset_id,
    size: r.size,
    name_suggestion: r.name_suggestion,
    terms: JSON.parse(r.terms),
    examples: byCluster.get(r.id) ?? [],
    nearest_intents: JSON.parse(r.nearest_intents),
    trend: JSON.parse(r.trend),
    status: r.status,
    intent: r.intent,
    decided_by: r.decided_by,
    decided_at: r.decided_at,
  }));
}

function runView(row: Selectable<DiscoveryRunsTable>, clusters: ClusterView[]): DiscoveryRunView {
  return {
    id: row.id,
    dataset_id: row.dataset_id,
    pool: row.pool,
    status: row.status,
    params: JSON.parse(row.params),
    progress: row.progress ? JSON.parse(row.progress) : null,
    pool_size: row.pool_size,
    clustered: row.clustered,
    noise: row.pool_size === null || row.clustered === null ? null : row.pool_size - row.clustered,
    error: row.error,
    job_id: row.job_id,
    created_at: row.created_at,
    finished_at: row.finished_at,
    clusters,
  };
}

/**
 * A run whose job ended without finishing it (its worker died and the lease ran out) shows as
 * failed with the job's reason: the job table is the one the workers keep up to date.
 */
async function withJobOutcome(
  lab: LabContext,
  row: Selectable<DiscoveryRunsTable>,
): Promise<Selectable<DiscoveryRunsTable>> {
  if (row.job_id === null || (row.status !== 'queued' && row.status !== 'running')) return row;
  const job = await lab.db.kysely
    .selectFrom('jobs')
    .select(['status', 'error'])
    .where('id', '=', row.job_id)
    .executeTakeFirst();
  if (!job || (job.status !== 'failed' && job.status !== 'cancelled')) return row;
  return { ...row, status: 'failed', error: job.error ?? `job ${row.job_id} ${job.status}` };
}

export async function getDiscoveryRun(lab: LabContext, id: number): Promise<DiscoveryRunView> {
  const found = await lab.db.kysely.selectFrom('discovery_runs').selectAll().where('id', '=', id).executeTakeFirst();
  if (!found) throw new NotFoundError('discovery run', id, [{ field: 'params.id', problem: 'no such discovery run' }]);
  const row = await withJobOutcome(lab, found);
  const clusters = await lab.db.kysely
    .selectFrom('discovery_clusters')
    .selectAll()
    .where('run_id', '=', id)
    .orderBy('size', 'desc')
    .orderBy('id')
    .execute();
  return runView(row, await clusterViews(lab, clusters));
}

/** Runs, newest first, without their clusters (optionally of one log). */
export async function listDiscoveryRuns(lab: LabContext, datasetId?: number): Promise<DiscoveryRunView[]> {
  let query = lab.db.kysely.selectFrom('discovery_runs').selectAll().orderBy('id', 'desc').limit(100);
  if (datasetId !== undefined) query = query.where('dataset_id', '=', datasetId);
  return (await query.execute()).map((r) => runView(r, []));
}

export async function getCluster(lab: LabContext, id: number): Promise<ClusterView> {
  const row = await lab.db.kysely.selectFrom('discovery_clusters').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('cluster', id, [{ field: 'params.id', problem: 'no such cluster' }]);
  return (await clusterViews(lab, [row]))[0]!;
}
