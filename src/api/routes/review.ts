import { Type, type Static } from '@sinclair/typebox';
import {
  decisionHistory,
  DECISION_KINDS,
  recordDecisions,
  reviewQueue,
  reviewStats,
  STRATEGIES,
} from '../../review/index.js';
import type { LabApp } from '../app.js';
import { errorResponses } from '../schemas.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Top = Type.Array(Type.Object({ intent: Type.String(), confidence: Type.Number() }));
const Interval = Nullable(Type.Object({ low: Type.Number(), high: Type.Number() }));

const Decision = Type.Object(
  {
    id: Type.Integer(),
    dataset_id: Type.Integer(),
    turn_id: Type.Integer(),
    decision: Type.Union(DECISION_KINDS.map((k) => Type.Literal(k))),
    intent: Nullable(Type.String()),
    predicted_intent: Nullable(Type.String()),
    reviewer: Type.String({ description: 'API key name (`anonymous` when auth is off), or `cli`' }),
    source: Type.String({ description: '`review` or `discovery`' }),
    cluster_id: Nullable(Type.Integer()),
    created_at: Type.String(),
  },
  { $id: 'ReviewDecision', title: 'ReviewDecision' },
);

const QueueQuery = Type.Object(
  {
    dataset: Type.String({ minLength: 1, description: 'log dataset id or name' }),
    strategy: Type.Optional(
      Type.Union(
        STRATEGIES.map((s) => Type.Literal(s)),
        { default: 'uncertainty' },
      ),
    ),
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

const QueueSchema = Type.Object({
  dataset: Type.Object({ id: Type.Integer(), name: Type.String() }),
  strategy: Type.String(),
  threshold: Type.Number(),
  groups: Type.Integer({ description: 'undecided near-duplicate groups matching' }),
  turns: Type.Integer({ description: 'undecided turns in those groups' }),
  offset: Type.Integer(),
  limit: Type.Integer(),
  items: Type.Array(
    Type.Object({
      turn_id: Type.Integer(),
      conversation_id: Type.Integer(),
      text: Type.String(),
      given_intent: Nullable(Type.String()),
      predicted_intent: Type.String(),
      confidence: Type.Number(),
      margin: Type.Number(),
      top: Top,
      group_size: Type.Integer({ description: 'a decision applies to every undecided turn of the group' }),
      group_turn_ids: Type.Array(Type.Integer()),
      score: Type.Number(),
    }),
  ),
});

const DecisionInput = Type.Object(
  {
    turn_id: Type.Integer({ minimum: 1 }),
    decision: Type.Union(DECISION_KINDS.map((k) => Type.Literal(k))),
    intent: Type.Optional(Type.String({ description: 'for correct and new_intent' })),
    apply_to_group: Type.Optional(
      Type.Boolean({ description: 'also decide the undecided near-duplicates (default true)' }),
    ),
  },
  { additionalProperties: false },
);
const DecisionsBody = Type.Union([
  DecisionInput,
  Type.Object(
    { decisions: Type.Array(DecisionInput, { minItems: 1, maxItems: 1000 }) },
    { additionalProperties: false },
  ),
]);

const Estimate = {
  judged: Type.Integer(),
  correct: Type.Integer(),
  accuracy: Nullable(Type.Number()),
  ci95: Interval,
};
const StatsSchema = Type.Object({
  dataset: Type.Object({ id: Type.Integer(), name: Type.String() }),
  total: Type.Integer(),
  reviewed: Type.Integer(),
  skipped: Type.Integer(),
  pending: Type.Integer(),
  by_decision: Type.Record(Type.String(), Type.Integer()),
  by_source: Type.Array(Type.Object({ source: Type.String(), count: Type.Integer() })),
  accuracy: Type.Object(Estimate),
  per_intent: Type.Array(Type.Object({ intent: Type.String(), ...Estimate })),
});

/** The review queue: thin doors into src/review. Viewer reads; editor decides. */
export default async function reviewRoutes(app: LabApp): Promise<void> {
  app.addSchema(Decision);

  app.get(
    '/review/queue',
    {
      schema: {
        tags: ['review'],
        summary: 'Undecided user turns of a log, near-duplicates grouped, ranked by a strategy',
        querystring: QueueQuery,
        response: { 200: QueueSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const q = request.query as Static<typeof QueueQuery>;
      return reviewQueue(app.lab, q.dataset, {
        strategy: q.strategy,
        limit: q.limit,
        offset: q.offset,
        threshold: q.threshold,
        seed: q.seed,
        q: q.q,
        intent: q.intent,
        includeSkipped: q.include_skipped,
      });
    },
  );

  app.post(
    '/review/decisions',
    {
      schema: {
        tags: ['review'],
        summary: 'Record one decision or many (all or nothing); the turn itself is never changed',
        body: DecisionsBody,
        response: {
          201: Type.Object({ decisions: Type.Array(Type.Ref('ReviewDecision')) }),
          ...errorResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      const body = request.body as Static<typeof DecisionsBody>;
      const single = !('decisions' in body);
      const decisions = await recordDecisions(
        app.lab,
        single ? [body] : body.decisions,
        { reviewer: request.principal?.name ?? 'anonymous' },
        single ? 'body' : 'body.decisions',
      );
      return reply.status(201).send({ decisions });
    },
  );

  app.get(
    '/review/stats',
    {
      schema: {
        tags: ['review'],
        summary: "Reviewed / pending, and the model's accuracy on reviewed turns per intent (Wilson 95 % interval)",
        querystring: Type.Object({ dataset: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
        response: { 200: StatsSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => reviewStats(app.lab, request.query.dataset),
  );

  app.get(
    '/review/turns/:id/decisions',
    {
      schema: {
        tags: ['review'],
        summary: 'Every decision on a turn, oldest first (the last one counts)',
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 200: Type.Object({ decisions: Type.Array(Type.Ref('ReviewDecision')) }), ...errorResponses(404) },
      },
    },
    async (request) => ({ decisions: await decisionHistory(app.lab, request.params.id) }),
  );
}
