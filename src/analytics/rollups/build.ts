import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Dialect } from '../../db/connection.js';
import { DEFAULT_THRESHOLD } from '../fallback.js';
import { effectiveIntent, periodSql } from '../filters.js';
import { NEGATIVE_AT, POSITIVE_AT } from '../sentiment.js';

/**
 * The SQL that summarises raw turns into rollup rows. Building, refreshing and the exact edge scans
 * of partial days all use these same expressions, so a rollup row and an on-the-fly aggregate of
 * the same turns are identical by construction.
 */

/** Path steps are joined with this, as the raw flow query does. */
export const PATH_SEPARATOR = ' > ';

/** Columns of `turn_rollups_daily` after (dataset_id, bucket_day, speaker, intent). */
export const DAILY_MEASURES = [
  'turns',
  'predicted',
  'scored',
  'confidence_sum',
  'below_default',
  'sentiment_n',
  'sentiment_sum',
  'negative',
  'positive',
  'min_ts',
  'max_ts',
] as const;

/**
 * Turns matching `where` (over `turns t`) grouped by dataset, UTC day, speaker and effective intent.
 * `below_default` counts confidences under the default fallback threshold; a fallback label makes
 * every turn of its group fallback, which the reader applies from the intent key.
 */
export function aggregateTurnsSql(where: RawBuilder<unknown>): RawBuilder<unknown> {
  const eff = effectiveIntent('t');
  return sql`select t.dataset_id as dataset_id, ${periodSql(sql.ref('t.ts'), 'day')} as bucket_day,
      t.speaker as speaker, ${eff} as intent, count(*) as turns, count(t.predicted_intent) as predicted,
      count(t.confidence) as scored, coalesce(sum(t.confidence), 0) as confidence_sum,
      sum(case when t.confidence < ${sql.lit(DEFAULT_THRESHOLD)} then 1 else 0 end) as below_default,
      count(t.sentiment) as sentiment_n, coalesce(sum(t.sentiment), 0) as sentiment_sum,
      sum(case when t.sentiment <= ${sql.lit(NEGATIVE_AT)} then 1 else 0 end) as negative,
      sum(case when t.sentiment >= ${sql.lit(POSITIVE_AT)} then 1 else 0 end) as positive,
      min(t.ts) as min_ts, max(t.ts) as max_ts
    from turns t where ${where} group by 1, 2, 3, 4`;
}

/** One row per conversation of the turns matching `where` (a condition on `turns t`). */
function conversationRollupSql(dialect: Dialect, where: RawBuilder<unknown>): RawBuilder<unknown> {
  const eff = effectiveIntent('t');
  const agg =
    dialect === 'postgres'
      ? sql`string_agg(intent, ${PATH_SEPARATOR} order by i)`
      : sql`group_concat(intent, ${PATH_SEPARATOR} order by i)`;
  const user = sql`t.speaker = 'USER'`;
  const system = sql`t.speaker = 'SYSTEM'`;
  return sql`
    with a as (
      select t.conversation_id as c, min(t.dataset_id) as d, count(*) as n, min(t.ts) as f, max(t.ts) as l,
        sum(case when ${user} then 1 else 0 end) as un, min(case when ${user} then t.ts end) as uf,
        max(case when ${user} then t.ts end) as ul,
        sum(case when ${user} and t.predicted_intent is not null then 1 else 0 end) as up,
        sum(case when ${system} then 1 else 0 end) as sn, min(case when ${system} then t.ts end) as sf,
        max(case when ${system} then t.ts end) as sl,
        count(case when ${user} then t.sentiment end) as usn,
        coalesce(sum(case when ${user} then t.sentiment end), 0) as uss,
        min(case when ${user} then t.sentiment end) as usm
      from turns t where ${where} group by t.conversation_id
    ),
    u as (
      select t.conversation_id as c, t.idx as i, ${eff} as intent from turns t
      where ${where} and ${user} and ${eff} is not null
    ),
    s as (select c, i, intent, lag(intent) over (partition by c order by i) as prev from u),
    p as (select c, ${agg} as path from s where prev is null or prev <> intent group by c)
    select a.c as conversation_id, a.d as dataset_id, a.n as turns, a.f as first_ts, a.l as last_ts,
      a.un as user_turns, a.uf as user_first_ts, a.ul as user_last_ts, a.up as user_predicted,
      a.sn as system_turns, a.sf as system_first_ts, a.sl as system_last_ts,
      a.usn as user_sentiment_n, a.uss as user_sentiment_sum, a.usm as user_sentiment_min, p.path as path
    from a left join p on p.c = a.c`;
}

const CONVERSATION_COLUMNS = sql.raw(
  'conversation_id, dataset_id, turns, first_ts, last_ts, user_turns, user_first_ts, user_last_ts, ' +
    'user_predicted, system_turns, system_first_ts, system_last_ts, user_sentiment_n, user_sentiment_sum, ' +
    'user_sentiment_min, path',
);
const DAILY_COLUMNS = sql.raw(`dataset_id, bucket_day, speaker, intent, ${DAILY_MEASURES.join(', ')}`);

/** Inserts the rollups of the turns matching `where` (rows for those turns must not exist yet). */
export async function insertRollups(
  db: Kysely<any>,
  dialect: Dialect,
  where: { turns: RawBuilder<unknown>; conversations: RawBuilder<unknown> },
): Promise<void> {
  await sql`insert into turn_rollups_daily (${DAILY_COLUMNS}) ${aggregateTurnsSql(where.turns)}`.execute(db);
  await sql`insert into conversation_rollups (${CONVERSATION_COLUMNS})
    ${conversationRollupSql(dialect, where.conversations)}`.execute(db);
  const eff = effectiveIntent('t');
  await sql`insert into conversation_intents (dataset_id, conversation_id, speaker, intent)
    select distinct t.dataset_id, t.conversation_id, t.speaker, ${eff} from turns t
    where ${where.conversations} and ${eff} is not null`.execute(db);
}
