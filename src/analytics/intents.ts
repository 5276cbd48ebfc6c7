import { sql } from 'kysely';
import type { LabContext } from '../lab/context.js';
import {
  describeFilters,
  effectiveIntent,
  isoPeriod,
  num,
  periodSql,
  rollupPeriod,
  round,
  turnWhere,
  type AnalyticsFilters,
} from './filters.js';
import { dailyRollupsApply, dailySource } from './rollups/read.js';
import { dict } from '../core/dict.js';
import type { IntentSeriesPoint, IntentShare, IntentsResult } from '../api/contracts/analytics.js';

/** The answer's shape is declared in the API contract (src/api/contracts/analytics.ts). */
export type { IntentSeriesPoint, IntentShare, IntentsResult } from '../api/contracts/analytics.js';

export const OTHER = '(other)';

/** Intent distribution (top N + other) and the same as a time series. */
export async function intentDistribution(
  lab: LabContext,
  filters: AnalyticsFilters,
  options: { top?: number; raw?: boolean } = {},
): Promise<IntentsResult> {
  const top = options.top ?? 10;
  const where = turnWhere(filters, { defaultSpeaker: 'USER', intentScope: 'turn' });
  // Rollup rows carry the effective intent as their key (src/analytics/rollups); the raw query
  // groups by the two label columns (an index on them serves the order) and folds them here.
  const source = !dailyRollupsApply(filters, options) ? null : dailySource(filters, { defaultSpeaker: 'USER' });
  const { rows } = await (
    source
      ? sql<{ intent: string | null; predicted: string | null; n: number }>`
    select r.intent as intent, null as predicted, sum(r.turns) as n from (${source}) r group by r.intent`
      : sql<{ intent: string | null; predicted: string | null; n: number }>`
    select t.intent as intent, t.predicted_intent as predicted, count(*) as n
    from turns t where ${where} group by t.intent, t.predicted_intent`
  ).execute(lab.db.kysely);

  let unlabelled = 0;
  const byIntent = new Map<string, number>();
  for (const r of rows) {
    const intent = r.intent ?? r.predicted;
    if (intent === null) unlabelled += num(r.n);
    else byIntent.set(intent, (byIntent.get(intent) ?? 0) + num(r.n));
  }
  const counts: IntentShare[] = [...byIntent.entries()].map(([intent, count]) => ({ intent, count, share: 0 }));
  // Count desc, then name, so ties are stable across dialects.
  counts.sort((a, b) => b.count - a.count || (a.intent < b.intent ? -1 : 1));
  const total = counts.reduce((s, c) => s + c.count, 0);
  const head = counts.slice(0, top);
  const rest = counts.slice(top);
  const intents = [...head];
  if (rest.length > 0) intents.push({ intent: OTHER, count: rest.reduce((s, c) => s + c.count, 0), share: 0 });
  for (const i of intents) i.share = total === 0 ? 0 : round(i.count / total);

  // (Grouping by position: the label carries bound parameters, which PostgreSQL would not
  // recognise as the same expression in GROUP BY.)
  // The series folds everything outside the top N into `(other)` in SQL, so the rows returned
  // stay periods x (N + 1) even at hourly granularity.
  const names = head.map((h) => h.intent);
  const eff = source ? sql.ref('r.intent') : effectiveIntent('t');
  const label =
    names.length === 0 ? sql`${OTHER}` : sql`case when ${eff} in (${sql.join(names)}) then ${eff} else ${OTHER} end`;
  const series = await (
    source
      ? sql<{ p: number; intent: string; n: number }>`
    select ${periodSql(sql.ref('r.bucket_day'), filters.granularity)} as p, ${label} as intent, sum(r.turns) as n
    from (${source}) r where r.bucket_day is not null and ${eff} is not null
    group by 1, 2`
      : sql<{ p: number; intent: string; n: number }>`
    select ${periodSql(sql.ref('t.ts'), filters.granularity)} as p, ${label} as intent, count(*) as n
    from turns t where ${where} and t.ts is not null and ${eff} is not null
    group by 1, 2`
  ).execute(lab.db.kysely);

  const byPeriod = new Map<number, IntentSeriesPoint>();
  for (const r of series.rows) {
    const start = rollupPeriod(num(r.p), filters.granularity);
    let point = byPeriod.get(start);
    if (!point) {
      point = { period: isoPeriod(start), counts: dict<number>(), total: 0 };
      byPeriod.set(start, point);
    }
    point.counts[r.intent] = (point.counts[r.intent] ?? 0) + num(r.n);
    point.total += num(r.n);
  }
  return {
    filters: describeFilters(filters),
    total,
    unlabelled,
    distinct_intents: counts.length,
    top,
    intents,
    series: [...byPeriod.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p),
  };
}
