import { Type, type Static, type TSchema } from '@sinclair/typebox';

/**
 * The analytics and conversations API's answers, declared once: the domain functions in
 * src/analytics return these types, the routes serialise and document (/docs) with the schemas,
 * and the dashboard and the PDF charts read the same types.
 */

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Share = Type.Number({ minimum: 0, maximum: 1 });

/** The filters an answer was computed with, as the caller can read them back (ISO times). */
export const AnalyticsFiltersEcho = Type.Object({
  dataset: Nullable(Type.Integer()),
  from: Nullable(Type.String({ description: 'ISO-8601' })),
  to: Nullable(Type.String({ description: 'ISO-8601' })),
  speaker: Nullable(Type.String()),
  intent: Nullable(Type.String()),
  granularity: Type.String(),
});

export const OverviewResultSchema = Type.Object(
  {
    filters: AnalyticsFiltersEcho,
    conversations: Type.Integer(),
    turns: Type.Integer(),
    user_turns: Type.Integer(),
    distinct_intents: Type.Integer({ description: 'distinct effective intents among matching user turns' }),
    predicted_turns: Type.Integer({ description: 'user turns with a classifier prediction stored' }),
    turns_per_conversation: Type.Object({
      mean: Nullable(Type.Number()),
      median: Nullable(Type.Number()),
      p90: Nullable(Type.Number()),
    }),
    duration_ms: Type.Object(
      { mean: Nullable(Type.Number()), median: Nullable(Type.Number()), conversations: Type.Integer() },
      { description: 'first to last turn, over conversations with timestamps' },
    ),
    first_turn_at: Nullable(Type.String()),
    last_turn_at: Nullable(Type.String()),
  },
  { title: 'AnalyticsOverview' },
);

const IntentShareSchema = Type.Object({ intent: Type.String(), count: Type.Integer(), share: Share });

export const IntentsResultSchema = Type.Object(
  {
    filters: AnalyticsFiltersEcho,
    total: Type.Integer({ description: 'turns counted with an effective intent' }),
    unlabelled: Type.Integer({ description: 'matching turns with neither a given nor a predicted intent' }),
    distinct_intents: Type.Integer(),
    top: Type.Integer(),
    intents: Type.Array(IntentShareSchema, { description: 'the top N by count, then one `(other)` row' }),
    series: Type.Array(
      Type.Object({
        period: Type.String(),
        counts: Type.Record(Type.String(), Type.Integer(), { description: 'per intent of the top N, and (other)' }),
        total: Type.Integer(),
      }),
      { description: 'the same top N + other per period (turns with a timestamp)' },
    ),
  },
  { title: 'AnalyticsIntents' },
);

const FlowNodeSchema = Type.Object({
  name: Type.String(),
  steps: Type.Integer({ description: 'journey steps at this intent (consecutive repeats are one step)' }),
  entries: Type.Integer({ description: 'conversations whose first user intent is this one' }),
  exits: Type.Integer({ description: 'conversations whose last user intent is this one' }),
});
const FlowLinkSchema = Type.Object({ source: Type.String(), target: Type.String(), count: Type.Integer() });

export const FlowsResultSchema = Type.Object(
  {
    filters: AnalyticsFiltersEcho,
    conversations: Type.Integer(),
    transitions: Type.Integer(),
    nodes: Type.Array(FlowNodeSchema),
    links: Type.Array(FlowLinkSchema, { description: 'Sankey links between consecutive user intents' }),
    entries: Type.Array(IntentShareSchema),
    exits: Type.Array(IntentShareSchema),
    paths: Type.Array(Type.Object({ path: Type.Array(Type.String()), count: Type.Integer(), share: Share }), {
      description: 'most common journeys (consecutive repeats collapsed), top N',
    }),
  },
  { title: 'AnalyticsFlows' },
);

const FallbackRowSchema = Type.Object({
  intent: Type.String(),
  turns: Type.Integer(),
  fallback: Type.Integer(),
  share: Share,
  mean_confidence: Nullable(Type.Number()),
});

export const FallbackResultSchema = Type.Object(
  {
    filters: AnalyticsFiltersEcho,
    threshold: Type.Number(),
    fallback_labels: Type.Array(Type.String()),
    turns: Type.Integer(),
    scored_turns: Type.Integer({ description: 'turns with a stored prediction confidence' }),
    fallback: Type.Integer(),
    share: Share,
    by_intent: Type.Array(FallbackRowSchema),
    series: Type.Array(
      Type.Object({ period: Type.String(), turns: Type.Integer(), fallback: Type.Integer(), share: Share }),
    ),
    lowest_confidence: Type.Array(
      Type.Object({
        turn_id: Type.Integer(),
        conversation: Type.String(),
        text: Type.String(),
        intent: Nullable(Type.String()),
        predicted_intent: Nullable(Type.String()),
        confidence: Type.Number(),
      }),
    ),
  },
  { title: 'AnalyticsFallback' },
);

const LengthBinSchema = Type.Object({ turns: Type.Integer(), conversations: Type.Integer() });

export const SessionsResultSchema = Type.Object(
  {
    filters: AnalyticsFiltersEcho,
    conversations: Type.Integer(),
    length_histogram: Type.Array(LengthBinSchema, { description: 'conversations by length in matching turns' }),
    per_period: Type.Array(
      Type.Object({
        period: Type.String(),
        conversations: Type.Integer(),
        turns: Type.Integer(),
        mean_turns: Type.Number(),
      }),
      { description: 'conversations per period of their first matching turn' },
    ),
  },
  { title: 'AnalyticsSessions' },
);

const bucketFields = {
  turns: Type.Integer(),
  mean: Nullable(Type.Number()),
  negative: Share,
  neutral: Share,
  positive: Share,
};
const SentimentBucketSchema = Type.Object(bucketFields);

export const SentimentResultSchema = Type.Object(
  {
    filters: AnalyticsFiltersEcho,
    overall: SentimentBucketSchema,
    series: Type.Array(Type.Object({ period: Type.String(), ...bucketFields })),
    by_intent: Type.Array(Type.Object({ intent: Type.String(), ...bucketFields })),
    most_negative: Type.Array(
      Type.Object({
        conversation: Type.String(),
        conversation_id: Type.Integer(),
        turns: Type.Integer(),
        mean: Type.Number(),
        min: Type.Number(),
      }),
    ),
  },
  { title: 'AnalyticsSentiment' },
);

/** The answer of `GET /analytics/{kind}` per kind. */
export const AnalyticsResultSchemas = {
  overview: OverviewResultSchema,
  intents: IntentsResultSchema,
  flows: FlowsResultSchema,
  fallback: FallbackResultSchema,
  sessions: SessionsResultSchema,
  sentiment: SentimentResultSchema,
} as const;

const Metadata = Nullable(Type.Record(Type.String(), Type.Unknown()));

export const ConversationSchema = Type.Object({
  id: Type.Integer(),
  dataset_id: Type.Integer(),
  external_id: Type.String(),
  split: Nullable(Type.String()),
  turn_count: Type.Integer(),
  started_at: Nullable(Type.Number({ description: 'epoch ms' })),
  ended_at: Nullable(Type.Number({ description: 'epoch ms' })),
  metadata: Metadata,
});

export const TurnSchema = Type.Object({
  id: Type.Integer(),
  idx: Type.Integer(),
  speaker: Type.String({ description: 'USER, SYSTEM, or another speaker name upper-cased' }),
  text: Type.String(),
  intent: Nullable(Type.String()),
  predicted_intent: Nullable(Type.String()),
  confidence: Nullable(Type.Number()),
  sentiment: Nullable(Type.Number({ description: 'VADER compound in [-1, 1], USER turns' })),
  ts: Nullable(Type.Number({ description: 'epoch ms' })),
  metadata: Metadata,
});

/** One cursor page of `GET /conversations`. */
export const ConversationPageSchema = Type.Object({
  items: Type.Array(ConversationSchema),
  next_cursor: Nullable(Type.String()),
});

/** `GET /conversations/{id}`: the conversation with its turns in order. */
export const ConversationDetailSchema = Type.Composite([
  ConversationSchema,
  Type.Object({ turns: Type.Array(TurnSchema) }),
]);

export type AnalyticsFiltersView = Static<typeof AnalyticsFiltersEcho>;
export type OverviewResult = Static<typeof OverviewResultSchema>;
export type IntentShare = Static<typeof IntentShareSchema>;
export type IntentSeriesPoint = IntentsResult['series'][number];
export type IntentsResult = Static<typeof IntentsResultSchema>;
export type FlowNode = Static<typeof FlowNodeSchema>;
export type FlowLink = Static<typeof FlowLinkSchema>;
export type FlowsResult = Static<typeof FlowsResultSchema>;
export type FallbackRow = Static<typeof FallbackRowSchema>;
export type FallbackResult = Static<typeof FallbackResultSchema>;
export type LengthBin = Static<typeof LengthBinSchema>;
export type SessionsResult = Static<typeof SessionsResultSchema>;
export type SentimentBucket = Static<typeof SentimentBucketSchema>;
export type SentimentResult = Static<typeof SentimentResultSchema>;
export type Conversation = Static<typeof ConversationSchema>;
export type Turn = Static<typeof TurnSchema>;
export type ConversationPage = Static<typeof ConversationPageSchema>;
export type ConversationDetail = Static<typeof ConversationDetailSchema>;
