import { sql } from 'kysely';
import type { LabContext } from '../lab/context.js';
import { describeFilters, num, numOrNull, round, turnWhere, type AnalyticsFilters } from './filters.js';
import { conversationAggregate, lengthHistogram, quantileFromHistogram } from './sessions.js';
import { conversationRollupsApply, conversationRollupWhere, dailySource, type SourceOptions } from './rollups/read.js';

export interface OverviewResult {
  filters: ReturnType<typeof describeFilters>;
  conversations: number;
  turns: number;
  user_turns: number;
  /** Distinct effective intents among matching user turns. */
  distinct_intents: number;
  /** User turns with a classifier prediction stored (`chatlab analyze`). */
  predicted_turns: number;
  turns_per_conversation: { mean: number | null; median: number | null; p90: number | null };
  /** Milliseconds between first and last turn, over conversations with timestamps. */
  duration_ms: { mean: number | null; median: number | null; conversations: number };
  first_turn_at: string | null;
  last_turn_at: string | null;
}

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
    const where = conversationRollupWhere(filters);
    const totals = await sql<{ n: number; predicted: number; first: number | null; last: number | null }>`
      select sum(cr.user_turns) as n, sum(cr.user_predicted) as predicted, min(cr.user_first_ts) as first,
        max(cr.user_last_ts) as last
      from conversation_rollups cr where ${where} and cr.user_turns > 0`.execute(db);
    const names = await sql<{ intent: string }>`
      select distinct ci.intent as intent from conversation_intents ci
      where ci.speaker = 'USER' and ci.conversation_id in (select cr.conversation_id from conversation_rollups cr where ${where})`.execute(
      db,
    );
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

/** Headline figures for the filtered conversations. */
export async function overview(
  lab: LabContext,
  filters: AnalyticsFilters,
  options: SourceOptions = {},
): Promise<OverviewResult> {
  const histogram = await lengthHistogram(lab, filters, options);
  const conversations = histogram.reduce((s, b) => s + b.conversations, 0);
  const turns = histogram.reduce((s, b) => s + b.turns * b.conversations, 0);
  const withTime = histogram.reduce((s, b) => s + b.with_time, 0);
  const durationSum = histogram.reduce((s, b) => s + b.duration_sum, 0);

  // Median duration: rank the per-conversation durations in the database (window functions).
  const median = await sql<{ d: number }>`
    with conv as (${conversationAggregate(filters, options)}),
    r as (
      select last_ts - first_ts as d, row_number() over (order by last_ts - first_ts) as rn, count(*) over () as cnt
      from conv where first_ts is not null
    )
    select d from r where rn = (cnt + 1) / 2 or rn = (cnt + 2) / 2`.execute(lab.db.kysely);

  const labels = await userTurnFigures(lab, filters, options);
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
  const medianValues = median.rows.map((r) => num(r.d));

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
