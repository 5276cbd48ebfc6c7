import { sql } from 'kysely';
import type { LabContext } from '../lab/context.js';
import { describeFilters, num, numOrNull, round, turnWhere, type AnalyticsFilters } from './filters.js';
import { conversationAggregate, lengthHistogram, quantileFromHistogram } from './sessions.js';
import { conversationRollupsApply, conversationRollupWhere, dailySource, type SourceOptions } from './rollups/read.js';
import type { OverviewResult } from '../api/contracts/analytics.js';

/** The answer's shape is declared in the API contract (src/api/contracts/analytics.ts). */
export type { OverviewResult } from '../api/contracts/analytics.js';

interface UserTurnGroup {
  /** Effective intent. */
  intent: string | null;
  n: number;
  /** Turns of the group with a stored prediction. */
  predicted: number;
  first: number | null;
  last: number | null;
}

/**
 * User turns of the filtered conversations grouped by effective intent. From the daily rollups
 * without an intent filter, from the conversation rollups with one (the filter keeps whole
 * conversations), from raw turns when a time bound is set.
 */
async function userTurnFigures(
  lab: LabContext,
  filters: AnalyticsFilters,
  options: SourceOptions,
): Promise<UserTurnGroup[]> {
  const db = lab.db.kysely;
  // A SYSTEM speaker filter and the USER turns these figures count exclude each other.
  if (filters.speaker === 'SYSTEM') return [];
  if (conversationRollupsApply(filters, options) && filters.intent === undefined) {
    const source = dailySource(filters, { defaultSpeaker: 'USER' });
    const { rows } = await sql<UserTurnGroup>`
      select r.intent as intent, sum(r.turns) as n, sum(r.predicted) as predicted, min(r.min_ts) as first,
        max(r.max_ts) as last
      from (${source}) r group by r.intent`.execute(db);
    return rows;
  }
  if (conversationRollupsApply(filters, options)) {
    const where = conversationRollupWhere(filters, lab.db.dialect);
    const [totals, names] = await Promise.all([
      sql<{ n: number; predicted: number; first: number | null; last: number | null }>`
      select sum(cr.user_turns) as n, sum(cr.user_predicted) as predicted, min(cr.user_first_ts) as first,
        max(cr.user_last_ts) as last
      from conversation_rollups cr where ${where} and cr.user_turns > 0`.execute(db),
      sql<{ intent: string }>`
      select distinct ci.intent as intent from conversation_intents ci
      where ci.speaker = 'USER' and ci.conversation_id in (select cr.conversation_id from conversation_rollups cr where ${where})`.execute(
        db,
      ),
    ]);
    // The totals as one group without a name, then each distinct intent as an empty group.
    const total = totals.rows[0];
    return [
      ...(total && num(total.n) > 0 ? [{ ...total, intent: null }] : []),
      ...names.rows.map((r) => ({ intent: r.intent, n: 0, predicted: 0, first: null, last: null })),
    ];
  }
  // User-turn figures in one pass grouped by the two label columns (an index can serve that
  // order); the effective intent (given, else predicted) is folded here.
  const userWhere = sql`${turnWhere(filters, { intentScope: 'conversation' })} and t.speaker = 'USER'`;
  const { rows } = await sql<{
    intent: string | null;
    predicted: string | null;
    n: number;
    first: number | null;
    last: number | null;
  }>`
    select t.intent as intent, t.predicted_intent as predicted, count(*) as n, min(t.ts) as first, max(t.ts) as last
    from turns t where ${userWhere} group by t.intent, t.predicted_intent`.execute(db);
  return rows.map((r) => ({
    intent: r.intent ?? r.predicted,
    n: r.n,
    predicted: r.predicted === null ? 0 : r.n,
    first: r.first,
    last: r.last,
  }));
}

/**
 * The one or two middle durations of the filtered conversations (`count` of them have times).
 * Over a dataset's whole conversations they are read at an offset down the index on
 * (dataset_id, last_ts - first_ts) (migration 0011): the database steps over half the index
 * entries instead of ranking every conversation. Other filters rank with a window function.
 */
async function medianDuration(
  lab: LabContext,
  filters: AnalyticsFilters,
  options: SourceOptions,
  count: number,
): Promise<Array<{ d: number }>> {
  if (count === 0) return [];
  if (conversationRollupsApply(filters, options) && filters.speaker === undefined && filters.intent === undefined) {
    // Spelt as the index expression, so the planner reads the index. Every conversation rollup
    // has at least one turn, so no `turns > 0` check is needed.
    const inDataset = filters.datasetId === undefined ? sql`1 = 1` : sql`cr.dataset_id = ${filters.datasetId}`;
    const { rows } = await sql<{ d: number }>`
      select cr.last_ts - cr.first_ts as d from conversation_rollups cr
      where ${inDataset} and cr.last_ts - cr.first_ts is not null
      order by cr.last_ts - cr.first_ts limit ${2 - (count % 2)} offset ${Math.floor((count - 1) / 2)}`.execute(
      lab.db.kysely,
    );
    return rows;
  }
  const { rows } = await sql<{ d: number }>`
    with conv as (${conversationAggregate(filters, lab.db.dialect, options)}),
    r as (
      select last_ts - first_ts as d, row_number() over (order by last_ts - first_ts) as rn, count(*) over () as cnt
      from conv where first_ts is not null
    )
    select d from r where rn = (cnt + 1) / 2 or rn = (cnt + 2) / 2`.execute(lab.db.kysely);
  return rows;
}

/** Headline figures for the filtered conversations. */
export async function overview(
  lab: LabContext,
  filters: AnalyticsFilters,
  options: SourceOptions = {},
): Promise<OverviewResult> {
  // Independent reads at once: on PostgreSQL each gets a pooled connection (SQLite takes them in turn).
  const [histogram, labels] = await Promise.all([
    lengthHistogram(lab, filters, options),
    userTurnFigures(lab, filters, options),
  ]);
  const conversations = histogram.reduce((s, b) => s + b.conversations, 0);
  const turns = histogram.reduce((s, b) => s + b.turns * b.conversations, 0);
  const withTime = histogram.reduce((s, b) => s + b.with_time, 0);
  const durationSum = histogram.reduce((s, b) => s + b.duration_sum, 0);

  const median = await medianDuration(lab, filters, options, withTime);
  const intents = new Set<string>();
  let userTurns = 0;
  let predicted = 0;
  let first: number | null = null;
  let last: number | null = null;
  for (const r of labels) {
    const n = num(r.n);
    userTurns += n;
    predicted += num(r.predicted);
    const eff = r.intent;
    if (eff !== null) intents.add(eff);
    const f = numOrNull(r.first);
    const l = numOrNull(r.last);
    if (f !== null && (first === null || f < first)) first = f;
    if (l !== null && (last === null || l > last)) last = l;
  }
  const medianValues = median.map((r) => num(r.d));

  return {
    filters: describeFilters(filters),
    conversations,
    turns,
    user_turns: userTurns,
    distinct_intents: intents.size,
    predicted_turns: predicted,
    turns_per_conversation: {
      mean: conversations === 0 ? null : round(turns / conversations, 2),
      median: quantileFromHistogram(histogram, 0.5),
      p90: quantileFromHistogram(histogram, 0.9),
    },
    duration_ms: {
      mean: withTime === 0 ? null : Math.round(durationSum / withTime),
      median: medianValues.length === 0 ? null : medianValues.reduce((a, b) => a + b, 0) / medianValues.length,
      conversations: withTime,
    },
    first_turn_at: first === null ? null : new Date(first).toISOString(),
    last_turn_at: last === null ? null : new Date(last).toISOString(),
  };
}
