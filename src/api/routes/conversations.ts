import { Type } from '@sinclair/typebox';
import { getConversation, listConversations } from '../../conversations/repository.js';
import type { LabApp } from '../app.js';
import { errorResponses } from '../schemas.js';
import { ConversationDetailSchema, ConversationPageSchema } from '../contracts/analytics.js';

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
          200: ConversationPageSchema,
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
          200: ConversationDetailSchema,
          ...errorResponses(404),
        },
      },
    },
    async (request) => getConversation(app.lab, request.params.id),
  );
}
