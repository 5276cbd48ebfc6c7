import { Type } from '@sinclair/typebox';
import { getConversation, listConversations } from '../../conversations/repository.js';
import type { LabApp } from '../app.js';
import { errorResponses } from '../schemas.js';

const Nullable = <T extends ReturnType<typeof Type.Number>>(t: T) => Type.Union([t, Type.Null()]);
const Metadata = Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]);

const Conversation = Type.Object({
  id: Type.Integer(),
  dataset_id: Type.Integer(),
  external_id: Type.String(),
  split: Type.Union([Type.String(), Type.Null()]),
  turn_count: Type.Integer(),
  started_at: Nullable(Type.Number({ description: 'epoch ms' })),
  ended_at: Nullable(Type.Number({ description: 'epoch ms' })),
  metadata: Metadata,
});
const Turn = Type.Object({
  id: Type.Integer(),
  idx: Type.Integer(),
  speaker: Type.String({ description: 'USER, SYSTEM, or another speaker name upper-cased' }),
  text: Type.String(),
  intent: Type.Union([Type.String(), Type.Null()]),
  predicted_intent: Type.Union([Type.String(), Type.Null()]),
  confidence: Nullable(Type.Number()),
  sentiment: Nullable(Type.Number({ description: 'VADER compound in [-1, 1], USER turns' })),
  ts: Nullable(Type.Number({ description: 'epoch ms' })),
  metadata: Metadata,
});

export default async function conversationsRoutes(app: LabApp): Promise<void> {
  app.get(
    '/conversations',
    {
      schema: {
        tags: ['conversations'],
        summary: 'Browse conversations (cursor pagination)',
        querystring: Type.Object({
          dataset_id: Type.Optional(Type.Integer({ minimum: 1 })),
          intent: Type.Optional(Type.String({ description: 'has a turn with this intent (given or predicted)' })),
          speaker: Type.Optional(Type.String({ description: 'has a turn by this speaker (USER, SYSTEM, ...)' })),
          q: Type.Optional(Type.String({ description: 'has a turn containing this text (case-insensitive)' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
          cursor: Type.Optional(Type.String()),
        }),
        response: {
          200: Type.Object({ items: Type.Array(Conversation), next_cursor: Type.Union([Type.String(), Type.Null()]) }),
          ...errorResponses(400),
        },
      },
    },
    async (request) => listConversations(app.lab, request.query),
  );

  app.get(
    '/conversations/:id',
    {
      schema: {
        tags: ['conversations'],
        summary: 'One conversation with its turns in order',
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: {
          200: Type.Composite([Conversation, Type.Object({ turns: Type.Array(Turn) })]),
          ...errorResponses(404),
        },
      },
    },
    async (request) => getConversation(app.lab, request.params.id),
  );
}
