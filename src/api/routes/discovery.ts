import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { acceptCluster, dismissCluster, mergeCluster } from '../../discovery/actions.js';
import { startDiscovery } from '../../discovery/discover.js';
import { POOLS } from '../../discovery/pool.js';
import { getDiscoveryRun, listDiscoveryRuns } from '../../discovery/repository.js';
import type { LabApp } from '../app.js';
import { errorResponses } from '../schemas.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const ClusterSchema = Type.Object(
  {
    id: Type.Integer(),
    run_id: Type.Integer(),
    dataset_id: Type.Integer(),
    size: Type.Integer({ description: 'turns in the cluster' }),
    name_suggestion: Type.String({ description: 'from the most distinctive terms (c-TF-IDF)' }),
    terms: Type.Array(Type.Object({ term: Type.String(), weight: Type.Number() })),
    examples: Type.Array(Type.Object({ turn_id: Type.Integer(), text: Type.String(), similarity: Type.Number() }), {
      description: 'the turns closest to the centroid',
    }),
    nearest_intents: Type.Array(Type.Object({ intent: Type.String(), similarity: Type.Number() }), {
      description:
        'known intents of the log by cosine similarity of centroids; a high one means the cluster is really that intent',
    }),
    trend: Type.Object({
      granularity: Nullable(Type.String()),
      points: Type.Array(Type.Object({ period: Type.String(), turns: Type.Integer(), share: Type.Number() })),
    }),
    status: Type.Union(['open', 'accepted', 'merged', 'dismissed'].map((s) => Type.Literal(s))),
    intent: Nullable(Type.String()),
    decided_by: Nullable(Type.String()),
    decided_at: Nullable(Type.String()),
  },
  { $id: 'DiscoveryCluster', title: 'DiscoveryCluster' },
);

const RunSchema = Type.Object(
  {
    id: Type.Integer(),
    dataset_id: Type.Integer(),
    pool: Type.String(),
    status: Type.Union(['queued', 'running', 'succeeded', 'failed'].map((s) => Type.Literal(s))),
    params: Type.Record(Type.String(), Type.Unknown()),
    progress: Nullable(Type.Object({ phase: Type.String(), done: Type.Number(), total: Type.Number() })),
    pool_size: Nullable(Type.Integer()),
    clustered: Nullable(Type.Integer()),
    noise: Nullable(Type.Integer()),
    error: Nullable(Type.String()),
    job_id: Nullable(Type.Integer()),
    created_at: Type.String(),
    finished_at: Nullable(Type.String()),
    clusters: Type.Array(Type.Ref('DiscoveryCluster')),
  },
  { $id: 'DiscoveryRun', title: 'DiscoveryRun' },
);

const StartBody = Type.Object(
  {
    dataset_id: Type.Union([Type.Integer({ minimum: 1 }), Type.String({ minLength: 1 })], {
      description:
        'the conversation log (id, name or name@version); its user turns need predictions (POST /analytics/label)',
    }),
    pool: Type.Optional(
      Type.Union(
        POOLS.map((p) => Type.Literal(p)),
        { default: 'fallback', description: 'which user turns to cluster' },
      ),
    ),
    threshold: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1, description: "fallback threshold; default: the model's" }),
    ),
    low_confidence: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description: 'pool low-confidence: turns under this confidence too (0.7)',
      }),
    ),
    model: Type.Optional(Type.String({ description: 'model whose threshold defines a fallback (production)' })),
    min_cluster_size: Type.Optional(
      Type.Integer({ minimum: 2, maximum: 1000, description: 'default: 1 % of the pool, 5 to 25' }),
    ),
  },
  { additionalProperties: false },
);

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

const reviewerOf = (request: FastifyRequest) => request.principal?.name ?? 'api';

export default async function discoveryRoutes(app: LabApp): Promise<void> {
  app.addSchema(ClusterSchema);
  app.addSchema(RunSchema);

  app.post(
    '/discovery/runs',
    {
      schema: {
        tags: ['discovery'],
        summary: "Cluster a log's unrecognised user turns into candidate intents (a queued job; poll the run)",
        body: StartBody,
        response: { 202: Type.Ref('DiscoveryRun'), ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const run = await startDiscovery(app.lab, {
        datasetId: b.dataset_id,
        pool: b.pool,
        threshold: b.threshold,
        lowConfidence: b.low_confidence,
        model: b.model,
        minClusterSize: b.min_cluster_size,
      });
      return reply.status(202).send(run);
    },
  );

  app.get(
    '/discovery/runs',
    {
      schema: {
        tags: ['discovery'],
        summary: 'Discovery runs, newest first (without their clusters)',
        querystring: Type.Object(
          { dataset_id: Type.Optional(Type.Integer({ minimum: 1 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ runs: Type.Array(Type.Ref('DiscoveryRun')) }), ...errorResponses(400) },
      },
    },
    async (request) => ({ runs: await listDiscoveryRuns(app.lab, request.query.dataset_id) }),
  );

  app.get(
    '/discovery/runs/:id',
    {
      schema: {
        tags: ['discovery'],
        summary: 'A discovery run: status, progress (phase, done, total) and, once done, its clusters',
        params: IdParams,
        response: { 200: Type.Ref('DiscoveryRun'), ...errorResponses(400, 404) },
      },
    },
    async (request) => getDiscoveryRun(app.lab, request.params.id),
  );

  app.post(
    '/discovery/clusters/:id/accept',
    {
      schema: {
        tags: ['discovery'],
        summary: "Accept a cluster as a new intent: each of its turns gets a 'new_intent' review decision",
        params: IdParams,
        body: Type.Object(
          { intent: Type.String({ description: 'the new intent (letters, digits, _ . : -)' }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref('DiscoveryCluster'), ...errorResponses(400, 404, 409) },
      },
    },
    async (request) => acceptCluster(app.lab, request.params.id, request.body.intent, reviewerOf(request)),
  );

  app.post(
    '/discovery/clusters/:id/merge',
    {
      schema: {
        tags: ['discovery'],
        summary: "Merge a cluster into an existing intent: each of its turns gets a 'correct' review decision",
        params: IdParams,
        body: Type.Object(
          { into: Type.String({ description: 'an intent of the log' }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref('DiscoveryCluster'), ...errorResponses(400, 404, 409) },
      },
    },
    async (request) => mergeCluster(app.lab, request.params.id, request.body.into, reviewerOf(request)),
  );

  app.post(
    '/discovery/clusters/:id/dismiss',
    {
      schema: {
        tags: ['discovery'],
        summary: 'Dismiss a cluster (no decision is recorded for its turns)',
        params: IdParams,
        response: { 200: Type.Ref('DiscoveryCluster'), ...errorResponses(400, 404, 409) },
      },
    },
    async (request) => dismissCluster(app.lab, request.params.id, reviewerOf(request)),
  );
}
