import { Type, type Static } from '@sinclair/typebox';

/**
 * Shapes of the intent discovery API, declared once: the routes validate, serialise and document
 * (/docs) with them, src/discovery builds them, and the dashboard imports the derived types.
 */

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

/** Which user turns a run clusters. */
export const POOL_NAMES = ['fallback', 'low-confidence', 'unlabelled'] as const;
export const PoolSchema = Type.Union(POOL_NAMES.map((p) => Type.Literal(p)));

export const ClusterStatusSchema = Type.Union(
  (['open', 'accepted', 'merged', 'dismissed'] as const).map((s) => Type.Literal(s)),
);
export const DiscoveryStatusSchema = Type.Union(
  (['queued', 'running', 'succeeded', 'failed'] as const).map((s) => Type.Literal(s)),
);

/** The choices a run made: the threshold from the start, the rest once it has clustered. */
export const DiscoveryParamsSchema = Type.Object({
  threshold: Type.Number({ description: 'confidence under which a turn is a fallback' }),
  threshold_source: Type.Optional(Type.String({ description: 'where the threshold came from' })),
  low_confidence: Type.Optional(Type.Number()),
  min_cluster_size: Type.Optional(Type.Integer()),
  min_samples: Type.Optional(Type.Integer()),
  encoder: Type.Optional(Type.String({ description: 'the sentence encoder that embedded the turns' })),
  truncated: Type.Optional(
    Type.Boolean({ description: 'the pool had more turns than were clustered (the least confident were kept)' }),
  ),
});

export const DiscoveryClusterSchema = Type.Object(
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
    status: ClusterStatusSchema,
    intent: Nullable(Type.String({ description: 'the intent it was accepted as or merged into' })),
    decided_by: Nullable(Type.String()),
    decided_at: Nullable(Type.String()),
  },
  { $id: 'DiscoveryCluster', title: 'DiscoveryCluster' },
);

export const DiscoveryRunSchema = Type.Object(
  {
    id: Type.Integer(),
    dataset_id: Type.Integer(),
    pool: PoolSchema,
    status: DiscoveryStatusSchema,
    params: DiscoveryParamsSchema,
    progress: Nullable(Type.Object({ phase: Type.String(), done: Type.Number(), total: Type.Number() })),
    pool_size: Nullable(Type.Integer()),
    clustered: Nullable(Type.Integer()),
    noise: Nullable(Type.Integer({ description: 'pool turns left in no cluster' })),
    error: Nullable(Type.String()),
    job_id: Nullable(Type.Integer()),
    created_at: Type.String(),
    finished_at: Nullable(Type.String()),
    clusters: Type.Array(Type.Ref('DiscoveryCluster'), { description: 'empty in lists and until the run succeeds' }),
  },
  { $id: 'DiscoveryRun', title: 'DiscoveryRun' },
);

/** `GET /discovery/runs`. */
export const DiscoveryRunListSchema = Type.Object({ runs: Type.Array(Type.Ref('DiscoveryRun')) });

export const StartDiscoveryBody = Type.Object(
  {
    dataset_id: Type.Union([Type.Integer({ minimum: 1 }), Type.String({ minLength: 1 })], {
      description:
        'the conversation log (id, name or name@version); its user turns need predictions (POST /analytics/label)',
    }),
    pool: Type.Optional(
      Type.Union(
        POOL_NAMES.map((p) => Type.Literal(p)),
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

export type Pool = Static<typeof PoolSchema>;
/** As a run that has clustered records them (every field present). */
export type DiscoveryParams = Required<Static<typeof DiscoveryParamsSchema>>;
export type DiscoveryCluster = Static<typeof DiscoveryClusterSchema>;
/** Type.Ref does not carry its target's type: a run holds clusters. */
export type DiscoveryRun = Omit<Static<typeof DiscoveryRunSchema>, 'clusters'> & { clusters: DiscoveryCluster[] };
export type DiscoveryRunList = { runs: DiscoveryRun[] };
