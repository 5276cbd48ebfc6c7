import { sql, type RawBuilder } from 'kysely';
import type { LabContext } from '../lab/context.js';
import type { Dialect } from '../db/connection.js';
import {
  describeFilters,
  isoPeriod,
  num,
  periodSql,
  rollupPeriod,
  round,
  turnWhere,
  visibleDataset,
  type AnalyticsFilters,
} from './filters.js';
import { conversationAggregateFromRollups, conversationRollupsApply, type SourceOptions } from './rollups/read.js';
import type { LengthBin, SessionsResult } from '../api/contracts/analytics.js';

/** The answer's shape is declared in the API contract (src/api/contracts/analytics.ts). */
export type { LengthBin, SessionsResult } from '../api/contracts/analytics.js';

/**
 * One row per conversation with at least one matching turn: its matching turn count `n` and
 * first/last turn time. Overview and sessions both read it; the speaker filter changes what a
 * conversation's length counts (e.g. user turns only).
 *
 * Without turn filters (speaker, intent, time range) the answer is the conversations table's own
 * `turn_count`, `started_at`, `ended_at` (kept by ingestion): one row per conversation instead of
 * a GROUP BY over every turn, which is what makes the unfiltered dashboard fast on big logs.
 */
export function conversationAggregate(
  filters: AnalyticsFilters,
  dialect: Dialect,
  options: SourceOptions = {},
): RawBuilder<unknown> {
  // Without time bounds the rollups answer every filter (src/analytics/rollups).
  if (conversationRollupsApply(filters, options)) return conversationAggregateFromRollups(filters, dialect);
  const turnFilters =
    filters.speaker !== undefined ||
    filters.intent !== undefined ||
    filters.from !== undefined ||
    filters.to !== undefined;
  if (!turnFilters) {
    const inDataset =
      filters.datasetId === undefined
        ? visibleDataset(sql.ref('cv.dataset_id'))
        : sql`cv.dataset_id = ${filters.datasetId}`;
    return sql`select cv.id as c, cv.turn_count as n, cv.started_at as first_ts, cv.ended_at as last_ts
      from conversations cv where ${inDataset} and cv.turn_count > 0`;
  }
  const where = turnWhere(filters, { intentScope: 'conversation' });
  return sql`select t.conversation_id as c, count(*) as n, min(t.ts) as first_ts, max(t.ts) as last_ts
    from turns t where ${where} group by t.conversation_id`;
}

/** Value at quantile q (nearest-rank on the sorted lengths) from a length histogram. */
export function quantileFromHistogram(bins: LengthBin[], q: number): number | null {
  const total = bins.reduce((s, b) => s + b.conversations, 0);
  if (total === 0) return null;
  const sorted = [...bins].sort((a, b) => a.turns - b.turns);
  // Linear interpolation between the two ranks around q*(n-1), as numpy's default does.
  const at = (rank: number) => {
    let seen = 0;
    for (const b of sorted) {
      seen += b.conversations;
      if (rank < seen) return b.turns;
    }
    return sorted[sorted.length - 1]!.turns;
  };
  const pos = q * (total - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return at(lo) + (at(hi) - at(lo)) * (pos - lo);
}

/**
 * Whether the session rollups (src/analytics/rollups/sessions.ts) answer: whole conversations of a
 * dataset (or of all), every speaker's turns counted, no intent filter.
 */
const sessionRollupsApply = (filters: AnalyticsFilters, options: SourceOptions) =>
  conversationRollupsApply(filters, options) && filters.speaker === undefined && filters.intent === undefined;

/** `where` over `session_rollups s`. */
const sessionRollupWhere = (filters: AnalyticsFilters) =>
  filters.datasetId === undefined ? visibleDataset(sql.ref('s.dataset_id')) : sql`s.dataset_id = ${filters.datasetId}`;

export async function lengthHistogram(lab: LabContext, filters: AnalyticsFilters, options: SourceOptions = {}) {
  const { rows } = await (
    sessionRollupsApply(filters, options)
      ? sql<{ n: number; convs: number; dur: number | null; dur_n: number }>`
    select s.turns as n, sum(s.conversations) as convs, sum(s.duration_sum) as dur, sum(s.with_time) as dur_n
    from session_rollups s where ${sessionRollupWhere(filters)} group by s.turns order by s.turns`
      : sql<{ n: number; convs: number; dur: number | null; dur_n: number }>`
    with conv as (${conversationAggregate(filters, lab.db.dialect, options)})
    select n, count(*) as convs, sum(last_ts - first_ts) as dur, count(last_ts) as dur_n
    from conv group by n order by n`
  ).execute(lab.db.kysely);
  return rows.map((r) => ({
    turns: num(r.n),
    conversations: num(r.convs),
    duration_sum: num(r.dur),
    with_time: num(r.dur_n),
  }));
}

export async function sessionAnalysis(
  lab: LabContext,
  filters: AnalyticsFilters,
  options: SourceOptions = {},
): Promise<SessionsResult> {
  const periods = new Map<number, { conversations: number; turns: number }>();
  const addPeriod = (p: number | null, conversations: number, turns: number) => {
    if (p === null) return; // conversations without timestamps are in the histogram only
    const start = rollupPeriod(p, filters.granularity);
    const entry = periods.get(start) ?? { conversations: 0, turns: 0 };
    entry.conversations += conversations;
    entry.turns += turns;
    periods.set(start, entry);
  };
  let histogram: Array<{ turns: number; conversations: number }>;
  // Day buckets hold whole days, so they add up to days, weeks and months but not hours.
  if (sessionRollupsApply(filters, options) && filters.granularity !== 'hour') {
    histogram = await lengthHistogram(lab, filters, options);
    const period = periodSql(sql.ref('s.bucket_day'), filters.granularity);
    const { rows } = await sql<{ p: number; convs: number; turns: number }>`
      select ${period} as p, sum(s.conversations) as convs, sum(s.turns * s.conversations) as turns
      from session_rollups s where ${sessionRollupWhere(filters)} and s.bucket_day is not null
      group by ${period}`.execute(lab.db.kysely);
    for (const r of rows) addPeriod(num(r.p), num(r.convs), num(r.turns));
  } else {
    // One pass over the conversations for both figures: grouped by length and period, folded here.
    const period = periodSql(sql.ref('first_ts'), filters.granularity);
    const { rows } = await sql<{ n: number; p: number | null; convs: number }>`
      with conv as (${conversationAggregate(filters, lab.db.dialect, options)})
      select n, ${period} as p, count(*) as convs from conv group by n, ${period}`.execute(lab.db.kysely);
    const byLength = new Map<number, number>();
    for (const r of rows) {
      const n = num(r.n);
      const convs = num(r.convs);
      byLength.set(n, (byLength.get(n) ?? 0) + convs);
      addPeriod(r.p === null ? null : num(r.p), convs, n * convs);
    }
    histogram = [...byLength.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([turns, conversations]) => ({ turns, conversations }));
  }
  return {
    filters: describeFilters(filters),
    conversations: histogram.reduce((s, b) => s + b.conversations, 0),
    length_histogram: histogram.map((b) => ({ turns: b.turns, conversations: b.conversations })),
    per_period: [...periods.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([start, p]) => ({
        period: isoPeriod(start),
        conversations: p.conversations,
        turns: p.turns,
        mean_turns: p.conversations === 0 ? 0 : round(p.turns / p.conversations, 2),
      })),
  };
}
