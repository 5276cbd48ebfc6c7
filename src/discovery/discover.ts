/**
 * Intent discovery as a story: check the request (a log with predictions, a valid pool) and
 * record a queued run → select the pool of unrecognised user turns → embed them (and a few turns
 * of every known intent) with the lab's sentence encoder → cluster (HDBSCAN) → describe each
 * cluster (c-TF-IDF name, representative turns, nearest known intents, share of traffic over
 * time) → store clusters and memberships in one transaction, and mark the run succeeded.
 * A failure marks the run failed with the reason and stores no cluster.
 */
import { sql } from 'kysely';
import { DEFAULT_THRESHOLD } from '../analytics/fallback.js';
import { isoPeriod, periodSql, type Granularity } from '../analytics/filters.js';
import type { LabContext } from '../lab/context.js';
import { AppError, ValidationError } from '../core/errors.js';
import type { Job } from '../db/schema.js';
import { resolveModel } from '../experiments/registry.js';
import { enqueueJob } from '../training/jobs.js';
import { centerRows, centroid, cosine, hdbscan, normalizeRows } from '../nlp/clustering.js';
import { classTfidf, suggestName } from '../nlp/ctfidf.js';
import { embedTexts } from '../nlp/encoder.js';
import { resolveEncoder } from '../nlp/encoders/index.js';
import { checkPool, findLog, selectPool, selectReferences, type Pool, type PoolTurn } from './pool.js';
import { getDiscoveryRun, type DiscoveryRunView } from './repository.js';
import type { DiscoveryParams } from '../api/contracts/discovery.js';

export interface DiscoverRequest {
  /** The log: id, name or name@version. */
  datasetId: string | number;
  pool?: string;
  /** Fallback threshold; default: the threshold of `model` (default `production`), else 0.5. */
  threshold?: number;
  /** Pool `low-confidence`: turns under this confidence join the fallbacks (default 0.7). */
  lowConfidence?: number;
  /** Model whose threshold defines a fallback. */
  model?: string;
  /** Smallest cluster; default from the pool size (see `defaultMinClusterSize`). */
  minClusterSize?: number;
}

export type { DiscoveryParams };

export interface PreparedDiscovery {
  runId: number;
  datasetId: number;
  pool: Pool;
  threshold: number;
  lowConfidence: number;
  minClusterSize?: number;
  thresholdSource: string;
}

export type DiscoveryProgress = (phase: 'pool' | 'embed' | 'cluster' | 'store', done: number, total: number) => void;

const NEAREST_INTENTS = 3;

/**
 * Smallest cluster: 1 % of the pool, at least 4 and at most 25 turns (a new intent worth adding
 * shows up a handful of times among the misunderstood turns of a log). Chosen on the
 * removed-intents protocol with a tuning seed (1), not the reported one (42): see README.
 */
export function defaultMinClusterSize(poolSize: number): number {
  return Math.min(25, Math.max(4, Math.round(poolSize / 100)));
}

/** Density neighbours: three quarters of the smallest cluster, 2 to 10. */
export function defaultMinSamples(minClusterSize: number): number {
  return Math.min(10, Math.max(2, Math.round(minClusterSize * 0.75)));
}

function checkFraction(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) {
    throw new ValidationError(`${field} must be a number between 0 and 1 (got ${JSON.stringify(value)})`, [
      { field, problem: 'must be a number between 0 and 1' },
    ]);
  }
  return n;
}

/** Validates everything that can be wrong with the request and records a queued run. */
export async function prepareDiscovery(lab: LabContext, req: DiscoverRequest): Promise<PreparedDiscovery> {
  const pool = checkPool(req.pool);
  let threshold = checkFraction(req.threshold, 'threshold');
  const lowConfidence = checkFraction(req.lowConfidence, 'low_confidence') ?? 0.7;
  let minClusterSize: number | undefined;
  if (req.minClusterSize !== undefined) {
    const m = Number(req.minClusterSize);
    if (!Number.isInteger(m) || m < 2 || m > 1000) {
      throw new ValidationError(`min_cluster_size must be an integer between 2 and 1000`, [
        { field: 'min_cluster_size', problem: 'must be an integer between 2 and 1000' },
      ]);
    }
    minClusterSize = m;
  }
  const log = await findLog(lab, req.datasetId);
  if (pool !== 'unlabelled' && log.predicted === 0) {
    throw new ValidationError(
      `dataset ${log.id} (${log.name}) has no predictions: run \`chatlab analyze --dataset ${log.id}\` first (or POST /analytics/label), then discover`,
      [{ field: 'dataset_id', problem: 'has no predicted intents' }],
    );
  }
  let thresholdSource = 'request';
  if (threshold === undefined) {
    try {
      const model = await resolveModel(lab, req.model ?? 'production');
      threshold = model.threshold;
      thresholdSource = `model ${model.name}:${model.version}`;
    } catch (err) {
      if (req.model !== undefined) throw err;
      threshold = DEFAULT_THRESHOLD;
      thresholdSource = 'default (no production model)';
    }
  }
  const prepared = { datasetId: log.id, pool, threshold, lowConfidence, minClusterSize, thresholdSource };
  const { total } = await selectPool(lab, log.id, { pool, threshold, lowConfidence });
  if (total === 0) {
    throw new ValidationError(
      `dataset ${log.id} has no ${pool} user turns to cluster (threshold ${threshold}); try --pool low-confidence or unlabelled`,
      [{ field: 'pool', problem: 'is empty' }],
    );
  }
  const row = await lab.db.kysely
    .insertInto('discovery_runs')
    .values({ dataset_id: log.id, pool, params: JSON.stringify({ threshold }), status: 'queued' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { runId: row.id, ...prepared };
}

async function setProgress(lab: LabContext, runId: number, phase: string, done: number, total: number) {
  await lab.db.kysely
    .updateTable('discovery_runs')
    .set({ progress: JSON.stringify({ phase, done, total }) })
    .where('id', '=', runId)
    .execute();
}

/** Hour, day or week, so that a trend has a useful number of points over the log's time span. */
function granularityFor(spanMs: number): Granularity {
  const day = 86_400_000;
  return spanMs <= 2 * day ? 'hour' : spanMs <= 120 * day ? 'day' : 'week';
}

interface Trend {
  granularity: Granularity | null;
  points: Array<{ period: string; turns: number; share: number }>;
}

/** Per cluster: its turns per period and their share of all user turns of that period. */
async function trends(lab: LabContext, datasetId: number, members: PoolTurn[][]): Promise<Trend[]> {
  const times = members.flat().flatMap((t) => (t.ts === null ? [] : [t.ts]));
  if (times.length === 0) return members.map(() => ({ granularity: null, points: [] }));
  const span = await lab.db.kysely
    .selectFrom('turns')
    .select([sql<number>`min(ts)`.as('lo'), sql<number>`max(ts)`.as('hi')])
    .where('dataset_id', '=', datasetId)
    .where('speaker', '=', 'USER')
    .executeTakeFirstOrThrow();
  const granularity = granularityFor(Number(span.hi) - Number(span.lo));
  const period = periodSql(sql`ts`, granularity);
  const all = await sql<{ p: number; n: number }>`
    select ${period} as p, count(*) as n from turns
    where dataset_id = ${datasetId} and speaker = 'USER' and ts is not null group by ${period}`.execute(lab.db.kysely);
  const totals = new Map(all.rows.map((r) => [Number(r.p), Number(r.n)]));
  const periods = [...totals.keys()].sort((a, b) => a - b);
  const startOf = (ts: number) => {
    // The period containing ts: the last period start not after it.
    let lo = 0;
    let hi = periods.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (periods[mid]! <= ts) lo = mid;
      else hi = mid - 1;
    }
    return periods[lo]!;
  };
  return members.map((turns) => {
    const counts = new Map<number, number>();
    for (const t of turns) if (t.ts !== null) counts.set(startOf(t.ts), (counts.get(startOf(t.ts)) ?? 0) + 1);
    return {
      granularity,
      points: periods.map((p) => {
        const n = counts.get(p) ?? 0;
        return { period: isoPeriod(p), turns: n, share: Math.round((n / totals.get(p)!) * 1e6) / 1e6 };
      }),
    };
  });
}

/** Runs a prepared discovery to the end; the run row says how it went. */
export async function executeDiscovery(
  lab: LabContext,
  prepared: PreparedDiscovery,
  onProgress?: DiscoveryProgress,
): Promise<DiscoveryRunView> {
  const { runId, datasetId } = prepared;
  const db = lab.db.kysely;
  await db.updateTable('discovery_runs').set({ status: 'running' }).where('id', '=', runId).execute();
  // Progress rows are written one after another (a chain), at most every 500 ms, and the chain
  // is drained before the final update so a late progress write never overwrites "done".
  let lastWrite = 0;
  let writes = Promise.resolve();
  const progress: DiscoveryProgress = (phase, done, total) => {
    onProgress?.(phase, done, total);
    const now = Date.now();
    if (now - lastWrite > 500 || done === total) {
      lastWrite = now;
      writes = writes.then(() => setProgress(lab, runId, phase, done, total)).catch(() => {});
    }
  };
  try {
    progress('pool', 0, 1);
    const { turns, total } = await selectPool(lab, datasetId, prepared);
    const references = await selectReferences(lab, datasetId, prepared.threshold);
    const encoder = await resolveEncoder(lab.settings.defaultModel);
    const texts = [...turns.map((t) => t.text), ...references.map((r) => r.text)];
    const embedded = await embedTexts(encoder, texts, {
      cacheDir: lab.settings.modelCacheDir,
      onProgress: (done, all) => progress('embed', done, all),
    });
    const dim = encoder.dim;
    const unit = normalizeRows(embedded, dim);
    const raw = unit.subarray(0, turns.length * dim);
    const points = centerRows(raw, dim);

    progress('cluster', 0, 1);
    const minClusterSize = prepared.minClusterSize ?? defaultMinClusterSize(turns.length);
    const minSamples = defaultMinSamples(minClusterSize);
    const { labels, clusters } = hdbscan(points, dim, { minClusterSize, minSamples });
    progress('cluster', 1, 1);

    const membersOf: number[][] = Array.from({ length: clusters }, () => []);
    labels.forEach((l, i) => {
      if (l >= 0) membersOf[l]!.push(i);
    });
    const terms = classTfidf(
      turns.map((t) => t.text),
      labels,
      8,
    );
    // Known intents placed by the mean of their reference turns.
    const refRows = new Map<string, number[]>();
    references.forEach((r, j) => refRows.set(r.intent, [...(refRows.get(r.intent) ?? []), turns.length + j]));
    const intentCentroids = [...refRows].map(([intent, rows]) => ({ intent, c: centroid(unit, dim, rows) }));
    const trendOf = await trends(
      lab,
      datasetId,
      membersOf.map((m) => m.map((i) => turns[i]!)),
    );
    const described = membersOf.map((members, k) => {
      // Members ranked in the clustering's (centred) space; intents compared in the encoder's own.
      const c = centroid(points, dim, members);
      const sims = members.map((i) => cosine(points.subarray(i * dim, (i + 1) * dim), c));
      const rawCentre = centroid(raw, dim, members);
      const nearest = intentCentroids
        .map(({ intent, c: ic }) => ({ intent, similarity: Math.round(cosine(rawCentre, ic) * 1e4) / 1e4 }))
        .sort((a, b) => b.similarity - a.similarity)
        .slice(0, NEAREST_INTENTS);
      const clusterTerms = terms.get(k) ?? [];
      return {
        size: members.length,
        name: suggestName(clusterTerms),
        terms: clusterTerms.map((t) => ({ term: t.term, weight: Math.round(t.weight * 1e4) / 1e4 })),
        nearest,
        trend: trendOf[k]!,
        members: members.map((i, j) => ({ turnId: turns[i]!.id, similarity: sims[j]! })),
      };
    });
    described.sort((a, b) => b.size - a.size);

    onProgress?.('store', 0, described.length);
    await writes;
    const params: DiscoveryParams = {
      threshold: prepared.threshold,
      threshold_source: prepared.thresholdSource,
      low_confidence: prepared.lowConfidence,
      min_cluster_size: minClusterSize,
      min_samples: minSamples,
      encoder: encoder.id,
      truncated: total > turns.length,
    };
    await db.transaction().execute(async (trx) => {
      for (const d of described) {
        const cluster = await trx
          .insertInto('discovery_clusters')
          .values({
            run_id: runId,
            dataset_id: datasetId,
            size: d.size,
            name_suggestion: d.name,
            terms: JSON.stringify(d.terms),
            nearest_intents: JSON.stringify(d.nearest),
            trend: JSON.stringify(d.trend),
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        for (let i = 0; i < d.members.length; i += 200) {
          await trx
            .insertInto('discovery_members')
            .values(
              d.members.slice(i, i + 200).map((m) => ({
                cluster_id: cluster.id,
                turn_id: m.turnId,
                similarity: Math.round(m.similarity * 1e6) / 1e6,
              })),
            )
            .execute();
        }
      }
      await trx
        .updateTable('discovery_runs')
        .set({
          status: 'succeeded',
          params: JSON.stringify(params),
          pool_size: turns.length,
          clustered: described.reduce((s, d) => s + d.size, 0),
          progress: JSON.stringify({ phase: 'done', done: 1, total: 1 }),
          finished_at: new Date().toISOString(),
        })
        .where('id', '=', runId)
        .execute();
    });
    onProgress?.('store', described.length, described.length);
  } catch (err) {
    await writes;
    await db
      .updateTable('discovery_runs')
      .set({ status: 'failed', error: (err as Error).message, finished_at: new Date().toISOString() })
      .where('id', '=', runId)
      .execute();
    if (err instanceof AppError) throw err;
  }
  return getDiscoveryRun(lab, runId);
}

/** Synchronous discovery (the CLI): prepare and execute in this process. */
export async function discoverIntents(
  lab: LabContext,
  req: DiscoverRequest,
  onProgress?: DiscoveryProgress,
): Promise<DiscoveryRunView> {
  return executeDiscovery(lab, await prepareDiscovery(lab, req), onProgress);
}

/**
 * Asynchronous discovery (the API): validate, record a queued run and enqueue a `discover` job
 * for the job worker (this process's, or a `chatlab worker`). One attempt: a discovery that
 * failed once would fail the same way again.
 */
export async function startDiscovery(lab: LabContext, req: DiscoverRequest): Promise<DiscoveryRunView> {
  const prepared = await prepareDiscovery(lab, req);
  const jobId = await enqueueJob(lab, 'discover', prepared, null, 1);
  await lab.db.kysely.updateTable('discovery_runs').set({ job_id: jobId }).where('id', '=', prepared.runId).execute();
  // Imported when used: the training service imports this module for its job handler.
  const { jobWorker } = await import('../training/service.js');
  jobWorker(lab).notify();
  return getDiscoveryRun(lab, prepared.runId);
}

/** The job queue's handler for kind `discover` (async runs from the API). */
export async function runDiscoveryJob(lab: LabContext, job: Job) {
  const prepared = JSON.parse(job.payload) as PreparedDiscovery;
  const run = await executeDiscovery(lab, prepared);
  return {
    status: run.status === 'succeeded' ? ('succeeded' as const) : ('failed' as const),
    result: { discovery_run_id: run.id, status: run.status },
    error: run.error ?? undefined,
  };
}
