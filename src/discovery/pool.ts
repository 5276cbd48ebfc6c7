/**
 * Which user turns of a log discovery clusters (the pool), and which turns stand for the intents
 * the bot already knows (the references that "nearest intents" are measured against).
 */
import { sql } from 'kysely';
import { FALLBACK_LABELS } from '../analytics/fallback.js';
import type { LabContext } from '../lab/context.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { getDatasetRow } from '../datasets/repository.js';
import { POOL_NAMES, type Pool } from '../api/contracts/discovery.js';

/** The pools, declared once with the API's contract. */
export const POOLS: readonly Pool[] = POOL_NAMES;
export type { Pool };

/** Clustering is O(n²) in time and memory: larger pools keep their least confident turns. */
export const MAX_POOL = 3000;
/** Known-intent turns embedded per intent to place each intent (its most confident ones). */
export const REFERENCES_PER_INTENT = 10;

export interface PoolTurn {
  id: number;
  text: string;
  ts: number | null;
}

export interface PoolChoice {
  pool: Pool;
  /** Confidence under which a turn is a fallback (the model's threshold). */
  threshold: number;
  /** Confidence under which a turn counts as low-confidence (pool `low-confidence`). */
  lowConfidence: number;
}

export function checkPool(pool: unknown, field = 'pool'): Pool {
  if (pool === undefined || pool === null || pool === '') return 'fallback';
  if (typeof pool === 'string' && (POOLS as readonly string[]).includes(pool)) return pool as Pool;
  throw new ValidationError(`pool must be one of ${POOLS.join(', ')} (got ${JSON.stringify(pool)})`, [
    { field, problem: `must be one of ${POOLS.join(', ')}` },
  ]);
}

/** The log to discover in: it must exist and hold user turns (a labelled intent dataset has none). */
export async function findLog(lab: LabContext, ref: string | number, field = 'dataset_id') {
  let row;
  try {
    row = await getDatasetRow(lab, ref);
  } catch (err) {
    if (err instanceof NotFoundError) throw new NotFoundError('dataset', ref, [{ field, problem: 'no such dataset' }]);
    throw err;
  }
  const users = await lab.db.kysely
    .selectFrom('turns')
    .select([sql<number>`count(*)`.as('n'), sql<number>`count(predicted_intent)`.as('predicted')])
    .where('dataset_id', '=', row.id)
    .where('speaker', '=', 'USER')
    .executeTakeFirstOrThrow();
  if (Number(users.n) === 0) {
    throw new ValidationError(
      `dataset ${row.id} (${row.name}) has no user turns: discovery runs on a conversation log, not on a labelled intent dataset`,
      [{ field, problem: 'is not a conversation log' }],
    );
  }
  return { id: row.id, name: row.name, userTurns: Number(users.n), predicted: Number(users.predicted) };
}

/** SQL condition on turns `t` for "the bot did not understand this turn". */
function fallbackCondition(threshold: number) {
  const eff = sql`coalesce(t.intent, t.predicted_intent)`;
  return sql<boolean>`((t.confidence is not null and t.confidence < ${threshold}) or lower(${eff}) in (${sql.join(FALLBACK_LABELS)}))`;
}

function poolCondition(choice: PoolChoice) {
  switch (choice.pool) {
    case 'fallback':
      return fallbackCondition(choice.threshold);
    case 'low-confidence':
      return sql<boolean>`(${fallbackCondition(choice.threshold)} or (t.confidence is not null and t.confidence < ${choice.lowConfidence}))`;
    case 'unlabelled':
      return sql<boolean>`(t.intent is null or lower(t.intent) in (${sql.join(FALLBACK_LABELS)}))`;
  }
}

/** Turns with a decision other than `skip` were already handled by a reviewer or a cluster. */
// (dataset_id, turn_id) leads the table's index.
const undecided = sql<boolean>`not exists (select 1 from review_decisions d
  where d.dataset_id = t.dataset_id and d.turn_id = t.id and d.decision <> 'skip')`;

/** The pool's turns (at most MAX_POOL, least confident first) and its full size. */
export async function selectPool(
  lab: LabContext,
  datasetId: number,
  choice: PoolChoice,
): Promise<{ turns: PoolTurn[]; total: number }> {
  const where = sql`t.dataset_id = ${datasetId} and t.speaker = 'USER' and ${poolCondition(choice)} and ${undecided}`;
  const count = await sql<{ n: number }>`select count(*) as n from turns t where ${where}`.execute(lab.db.kysely);
  const rows = await sql<PoolTurn>`
    select t.id as id, t.text as text, t.ts as ts from turns t where ${where}
    order by coalesce(t.confidence, 0), t.id limit ${MAX_POOL}`.execute(lab.db.kysely);
  return {
    turns: rows.rows.map((r) => ({ id: Number(r.id), text: r.text, ts: r.ts === null ? null : Number(r.ts) })),
    total: Number(count.rows[0]?.n ?? 0),
  };
}

/**
 * Up to REFERENCES_PER_INTENT turns per known intent, outside the fallback pool: the effective
 * intent (given label, else prediction) of turns the bot understood, most confident first.
 */
export async function selectReferences(
  lab: LabContext,
  datasetId: number,
  threshold: number,
): Promise<Array<{ intent: string; text: string }>> {
  const rows = await sql<{ intent: string; text: string }>`
    select intent, text from (
      select coalesce(t.intent, t.predicted_intent) as intent, t.text as text,
        row_number() over (partition by coalesce(t.intent, t.predicted_intent)
                           order by coalesce(t.confidence, 1) desc, t.id) as rank
      from turns t
      where t.dataset_id = ${datasetId} and t.speaker = 'USER'
        and coalesce(t.intent, t.predicted_intent) is not null
        and not ${fallbackCondition(threshold)}
    ) ranked
    where rank <= ${REFERENCES_PER_INTENT}
    order by intent, rank`.execute(lab.db.kysely);
  return rows.rows;
}

/** Every intent the log knows (given labels and predictions), for checking merge targets. */
export async function knownIntents(lab: LabContext, datasetId: number): Promise<Set<string>> {
  const rows = await sql<{ intent: string }>`
    select distinct coalesce(t.intent, t.predicted_intent) as intent from turns t
    where t.dataset_id = ${datasetId} and t.speaker = 'USER' and coalesce(t.intent, t.predicted_intent) is not null`.execute(
    lab.db.kysely,
  );
  return new Set(rows.rows.map((r) => r.intent).filter((i) => !FALLBACK_LABELS.includes(i.toLowerCase())));
}
