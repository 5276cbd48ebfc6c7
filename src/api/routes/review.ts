import { Type, type Static } from '@sinclair/typebox';
import { decisionHistory, recordDecisions, reviewQueue, reviewStats } from '../../review/index.js';
import type { LabApp } from '../app.js';
import {
  DecisionListSchema,
  DecisionsBody,
  QueueQuery,
  ReviewDecisionSchema,
  ReviewQueueSchema,
  ReviewStatsSchema,
} from '../contracts/review.js';
import { errorResponses } from '../schemas.js';

/** The review queue: thin doors into src/review. Viewer reads; editor decides. */
export default async function reviewRoutes(app: LabApp): Promise<void> {
  app.addSchema(ReviewDecisionSchema);

  app.get(
    '/review/queue',
    {
      schema: {
        tags: ['review'],
        summary: 'Undecided user turns of a log, near-duplicates grouped, ranked by a strategy',
        querystring: QueueQuery,
        response: { 200: ReviewQueueSchema, ...errorResponses(400, 404) },
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
          201: DecisionListSchema,
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
        response: { 200: ReviewStatsSchema, ...errorResponses(400, 404) },
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
        response: { 200: DecisionListSchema, ...errorResponses(404) },
      },
    },
    async (request) => ({ decisions: await decisionHistory(app.lab, request.params.id) }),
  );
}
