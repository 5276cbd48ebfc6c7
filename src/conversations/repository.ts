import { sql } from 'kysely';
import type { LabContext } from '../lab/context.js';
import { NotFoundError } from '../core/errors.js';
import type { Conversation } from '../db/schema.js';
import { likePattern, parseCursor, type Page } from '../db/pagination.js';
import type { Conversation as ConversationView, Turn as TurnView } from '../api/contracts/analytics.js';
import { visibleDataset } from '../analytics/filters.js';

/** Reading stored conversations and their turns. */

/** The shapes the API declares (src/api/contracts/analytics.ts). */
export type { Conversation as ConversationView, Turn as TurnView } from '../api/contracts/analytics.js';

export interface ConversationFilters {
  dataset_id?: number;
  /** Conversations with at least one turn labelled (or predicted) with this intent. */
  intent?: string;
  /** Conversations with at least one turn by this speaker (canonical: USER, SYSTEM). */
  speaker?: string;
  /** Conversations with a turn containing this text (case-insensitive). */
  q?: string;
  limit?: number;
  cursor?: string;
}

const json = (text: string | null) => (text ? (JSON.parse(text) as Record<string, unknown>) : null);

function toView(row: Conversation): ConversationView {
  return { ...row, metadata: json(row.metadata) };
}

export async function listConversations(
  lab: LabContext,
  filters: ConversationFilters = {},
): Promise<Page<ConversationView>> {
  const limit = Math.min(Math.max(filters.limit ?? 50, 1), 1000);
  const after = parseCursor(filters.cursor);
  let query = lab.db.kysely.selectFrom('conversations as c').selectAll('c');
  if (filters.dataset_id !== undefined) query = query.where('c.dataset_id', '=', filters.dataset_id);
  else query = query.where(sql<boolean>`${visibleDataset(sql.ref('c.dataset_id'))}`);
  if (after !== undefined) query = query.where('c.id', '>', after);
  // Each turn filter is an EXISTS over the conversation's turns, so a conversation is listed once.
  const withTurn = (condition: ReturnType<typeof sql<boolean>>) =>
    query.where(sql<boolean>`exists (select 1 from turns t where t.conversation_id = c.id and ${condition})`);
  if (filters.intent) {
    query = withTurn(sql<boolean>`(t.intent = ${filters.intent} or t.predicted_intent = ${filters.intent})`);
  }
  if (filters.speaker) query = withTurn(sql<boolean>`t.speaker = ${filters.speaker.toUpperCase()}`);
  if (filters.q) query = withTurn(sql<boolean>`lower(t.text) like ${likePattern(filters.q)} escape '\\'`);
  const rows = await query
    .orderBy('c.id', 'asc')
    .limit(limit + 1)
    .execute();
  const items = rows.slice(0, limit).map(toView);
  return { items, next_cursor: rows.length > limit ? String(items[items.length - 1]!.id) : null };
}

export async function getConversation(lab: LabContext, id: number): Promise<ConversationView & { turns: TurnView[] }> {
  const row = await lab.db.kysely.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('conversation', id);
  const turns = await lab.db.kysely
    .selectFrom('turns')
    .select(['id', 'idx', 'speaker', 'text', 'intent', 'predicted_intent', 'confidence', 'sentiment', 'ts', 'metadata'])
    .where('conversation_id', '=', id)
    .orderBy('idx', 'asc')
    .execute();
  return { ...toView(row), turns: turns.map((t) => ({ ...t, metadata: json(t.metadata) })) };
}
