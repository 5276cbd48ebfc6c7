import { Type, type Static } from '@sinclair/typebox';

/**
 * Shapes of the review queue API, declared once: the routes validate, serialise and document
 * (/docs) with them, src/review builds them, and the dashboard imports the derived types.
 */

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Literals = <T extends string>(values: readonly T[], options?: object) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  );

/** The order the CLI help and the dashboard list them in. */
export const STRATEGY_NAMES = ['uncertainty', 'margin', 'disagreement', 'fallback', 'random'] as const;
export const DECISION_NAMES = ['accept', 'correct', 'new_intent', 'oos', 'skip'] as const;

export const StrategySchema = Literals(STRATEGY_NAMES);
export const DecisionKindSchema = Literals(DECISION_NAMES);

export const TopIntentSchema = Type.Object({ intent: Type.String(), confidence: Type.Number() });

export const ReviewDecisionSchema = Type.Object(
  {
    id: Type.Integer(),
    dataset_id: Type.Integer(),
    turn_id: Type.Integer(),
    decision: DecisionKindSchema,
    intent: Nullable(Type.String()),
    predicted_intent: Nullable(Type.String({ description: 'the prediction when the decision was made' })),
    reviewer: Type.String({ description: 'API key name (`anonymous` when auth is off), or `cli`' }),
    source: Type.Union([Type.Literal('review'), Type.Literal('discovery')]),
    cluster_id: Nullable(Type.Integer({ description: 'the discovery cluster that recorded it' })),
    created_at: Type.String(),
  },
  { $id: 'ReviewDecision', title: 'ReviewDecision' },
);

/** `POST /review/decisions` (201) and `GET /review/turns/{id}/decisions`. */
export const DecisionListSchema = Type.Object({ decisions: Type.Array(Type.Ref('ReviewDecision')) });

export const QueueItemSchema = Type.Object({
  turn_id: Type.Integer(),
  conversation_id: Type.Integer(),
  text: Type.String(),
  given_intent: Nullable(Type.String({ description: 'the label in the log (never changed by a review)' })),
  predicted_intent: Type.String(),
  confidence: Type.Number(),
  margin: Type.Number({ description: 'top-1 minus top-2 confidence (2·top1 − 1 when only the top-1 is stored)' }),
  top: Type.Array(TopIntentSchema),
  group_size: Type.Integer({ description: 'a decision applies to every undecided turn of the group' }),
  group_turn_ids: Type.Array(Type.Integer()),
  score: Type.Number({ description: "the group's ranking value under the strategy (lower comes first)" }),
});

const LogRef = Type.Object({ id: Type.Integer(), name: Type.String() });

export const ReviewQueueSchema = Type.Object({
  dataset: LogRef,
  strategy: StrategySchema,
  threshold: Type.Number({ description: 'the fallback threshold used' }),
  groups: Type.Integer({ description: 'undecided near-duplicate groups matching' }),
  turns: Type.Integer({ description: 'undecided turns in those groups' }),
  offset: Type.Integer(),
  limit: Type.Integer(),
  items: Type.Array(QueueItemSchema),
});

export const QueueQuery = Type.Object(
  {
    dataset: Type.String({ minLength: 1, description: 'log dataset id or name' }),
    strategy: Type.Optional(Literals(STRATEGY_NAMES, { default: 'uncertainty' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 20 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
    threshold: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1, description: "fallback threshold (the production model's, else 0.5)" }),
    ),
    seed: Type.Optional(Type.Integer({ minimum: 0, description: 'random strategy: same seed, same sample' })),
    q: Type.Optional(Type.String({ description: 'text contains (case-insensitive)' })),
    intent: Type.Optional(Type.String({ description: 'predicted intent' })),
    include_skipped: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

export const DecisionInputSchema = Type.Object(
  {
    turn_id: Type.Integer({ minimum: 1 }),
    decision: DecisionKindSchema,
    intent: Type.Optional(Type.String({ description: 'for correct and new_intent' })),
    apply_to_group: Type.Optional(
      Type.Boolean({ description: 'also decide the undecided near-duplicates (default true)' }),
    ),
  },
  { additionalProperties: false },
);

export const DecisionsBody = Type.Union([
  DecisionInputSchema,
  Type.Object(
    { decisions: Type.Array(DecisionInputSchema, { minItems: 1, maxItems: 1000 }) },
    { additionalProperties: false },
  ),
]);

const Estimate = {
  judged: Type.Integer({ description: 'reviewed turns with a verdict on the prediction (all but skip)' }),
  correct: Type.Integer({ description: 'of those, accepted: the prediction was right' }),
  accuracy: Nullable(Type.Number()),
  ci95: Nullable(Type.Object({ low: Type.Number(), high: Type.Number() }, { description: 'Wilson 95 % interval' })),
};
export const AccuracyEstimateSchema = Type.Object(Estimate);

export const ReviewStatsSchema = Type.Object({
  dataset: LogRef,
  total: Type.Integer({ description: 'user turns with a prediction' }),
  reviewed: Type.Integer(),
  skipped: Type.Integer(),
  pending: Type.Integer(),
  by_decision: Type.Record(DecisionKindSchema, Type.Integer(), { description: 'latest decisions per kind' }),
  by_source: Type.Array(Type.Object({ source: Type.String(), count: Type.Integer() })),
  accuracy: AccuracyEstimateSchema,
  per_intent: Type.Array(Type.Object({ intent: Type.String(), ...Estimate }), {
    description: 'per predicted intent, worst first',
  }),
});

export type Strategy = Static<typeof StrategySchema>;
export type DecisionKind = Static<typeof DecisionKindSchema>;
export type TopIntent = Static<typeof TopIntentSchema>;
export type ReviewDecision = Static<typeof ReviewDecisionSchema>;
/** Type.Ref does not carry its target's type. */
export type DecisionList = { decisions: ReviewDecision[] };
export type QueueItem = Static<typeof QueueItemSchema>;
export type ReviewQueue = Static<typeof ReviewQueueSchema>;
export type DecisionInput = Static<typeof DecisionInputSchema>;
export type AccuracyEstimate = Static<typeof AccuracyEstimateSchema>;
export type ReviewStats = Static<typeof ReviewStatsSchema>;
