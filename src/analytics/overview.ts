import { sql } from 'kysely';
import type { LabContext } from '../core/context.js';
import { describeFilters, effectiveIntent, num, numOrNull, round, turnWhere, type AnalyticsFilters } from './filters.js';
import { conversationAggregate, lengthHistogram, quantileFromHistogram } from './sessions.js';

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

/** Headline figures for the filtered conversations. */
export async function overview(lab: LabContext, filters: AnalyticsFilters): Promise<OverviewResult> {
  const histogram = await lengthHistogram(lab, filters);
  const conversations = histogram.reduce((s, b) => s + b.conversations, 0);
  const turns = histogram.reduce((s, b) => s + b.turns * b.conversations, 0);
  const userTurns = histogram.reduce((s, b) => s + b.user_turns, 0);
  const withTime = histogram.reduce((s, b) => s + b.with_time, 0);
  const durationSum = histogram.reduce((s, b) => s + b.duration_sum, 0);

  // Median duration: rank the per-conversation durations in the database (window functions).
  const median = await sql<{ d: number }>`
    with conv as (${conversationAggregate(filters)}),
    r as (
      select last_ts - first_ts as d, row_number() over (order by last_ts - first_ts) as rn, count(*) over () as cnt
      from conv where first_ts is not null
    )
    select d from r where rn = (cnt + 1) / 2 or rn = (cnt + 2) / 2`.execute(lab.db.kysely);

  const userWhere = turnWhere(filters, { defaultSpeaker: 'USER', intentScope: 'conversation' });
  const eff = effectiveIntent('t');
  const turnStats = await sql<{ intents: number; predicted: number; first: number | null; last: number | null }>`
    select count(distinct ${eff}) as intents, count(t.predicted_intent) as predicted, min(t.ts) as first, max(t.ts) as last
    from turns t where ${userWhere}`.execute(lab.db.kysely);
  const stats = turnStats.rows[0];
  const first = numOrNull(stats?.first);
  const last = numOrNull(stats?.last);
  const medianValues = median.rows.map((r) => num(r.d));

  return {
    filters: describeFilters(filters),
    conversations,
    turns,
    user_turns: userTurns,
    distinct_intents: num(stats?.intents),
    predicted_turns: num(stats?.predicted),
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
