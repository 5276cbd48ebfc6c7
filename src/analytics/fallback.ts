import { sql } from 'kysely';
import type { LabContext } from '../lab/context.js';
import {
  describeFilters,
  effectiveIntent,
  isoPeriod,
  num,
  numOrNull,
  periodSql,
  rollupPeriod,
  round,
  turnWhere,
  type AnalyticsFilters,
} from './filters.js';
import { dailyRollupsApply, dailySource } from './rollups/read.js';
import type { FallbackResult, FallbackRow } from '../api/contracts/analytics.js';

/** The answer's shape is declared in the API contract (src/api/contracts/analytics.ts). */
export type { FallbackResult, FallbackRow } from '../api/contracts/analytics.js';

/** Labels that mean "the bot did not understand" (compared lower-case). */
export const FALLBACK_LABELS = ['fallback', 'nlu_fallback', 'out_of_scope', 'out-of-scope', 'oos', 'unknown'];
/** Confidence threshold used when the caller names none (the classifier's usual default). */
export const DEFAULT_THRESHOLD = 0.5;

interface FallbackGroup {
  intent: string | null;
  predicted: string | null;
  n: number;
  fb: number;
  scored: number;
  conf: number | null;
}

/**
 * Turns of a rollup row that are fallback at the default threshold: all of them when the row's
 * effective intent is a fallback label, else those scored under the threshold.
 */
const rollupFallback = sql`case when lower(r.intent) in (${sql.join(FALLBACK_LABELS)}) then r.turns else r.below_default end`;

/** Per effective intent from the rollups (they count confidences under the default threshold). */
function fallbackFromRollups(lab: LabContext, filters: AnalyticsFilters) {
  const source = dailySource(filters, { defaultSpeaker: 'USER' });
  return sql<FallbackGroup>`
    select r.intent as intent, null as predicted, sum(r.turns) as n, sum(${rollupFallback}) as fb,
      sum(r.scored) as scored, sum(r.confidence_sum) as conf
    from (${source}) r group by r.intent`.execute(lab.db.kysely);
}

function fallbackSeriesFromRollups(lab: LabContext, filters: AnalyticsFilters) {
  const source = dailySource(filters, { defaultSpeaker: 'USER' });
  const period = periodSql(sql.ref('r.bucket_day'), filters.granularity);
  return sql<{ p: number; n: number; fb: number }>`
    select ${period} as p, sum(r.turns) as n, sum(${rollupFallback}) as fb
    from (${source}) r where r.bucket_day is not null group by 1`.execute(lab.db.kysely);
}

/**
 * Fallback share: a user turn is fallback when its prediction confidence is under the threshold or
 * its effective intent is a fallback/out-of-scope label. The denominator is every matching turn.
 * At the default threshold the counts come from the rollups; another threshold (or an hourly
 * series) reads raw turns.
 */
export async function fallbackAnalysis(
  lab: LabContext,
  filters: AnalyticsFilters,
  options: { threshold?: number; limit?: number; raw?: boolean } = {},
): Promise<FallbackResult> {
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  const limit = options.limit ?? 20;
  const where = turnWhere(filters, { defaultSpeaker: 'USER', intentScope: 'turn' });
  const eff = effectiveIntent('t');
  const isFallback = sql`case when (t.confidence is not null and t.confidence < ${threshold})
    or lower(${eff}) in (${sql.join(FALLBACK_LABELS)}) then 1 else 0 end`;

  const fromRollups = threshold === DEFAULT_THRESHOLD && dailyRollupsApply(filters, options);
  // The three reads are independent: on PostgreSQL they run at once on pooled connections (each
  // takes a millisecond or two at a million turns, as much as its round trip); SQLite's single
  // connection takes them in turn.
  const byLabelsRead = fromRollups
    ? fallbackFromRollups(lab, filters)
    : // Grouped by both label columns (index order, no sort); the effective intent is folded below.
      sql<FallbackGroup>`
    select t.intent as intent, t.predicted_intent as predicted, count(*) as n, sum(${isFallback}) as fb,
      count(t.confidence) as scored, sum(t.confidence) as conf
    from turns t where ${where} group by t.intent, t.predicted_intent`.execute(lab.db.kysely);

  const period = periodSql(sql.ref('t.ts'), filters.granularity);
  const seriesRead = fromRollups
    ? fallbackSeriesFromRollups(lab, filters)
    : sql<{ p: number; n: number; fb: number }>`
    select ${period} as p, count(*) as n, sum(${isFallback}) as fb
    from turns t where ${where} and t.ts is not null group by ${period}`.execute(lab.db.kysely);

  // The N lowest first (from the covering index), then their text and conversation: the
  // wide columns are read for N rows only.
  const lowestRead = sql<{
    id: number;
    external_id: string;
    text: string;
    intent: string | null;
    predicted_intent: string | null;
    confidence: number;
  }>`
    with low as (
      select t.id, t.confidence from turns t where ${where} and t.confidence is not null
      order by t.confidence asc, t.id asc limit ${limit}
    )
    select x.id, c.external_id, x.text, x.intent, x.predicted_intent, low.confidence
    from low join turns x on x.id = low.id join conversations c on c.id = x.conversation_id
    order by low.confidence asc, low.id asc`.execute(lab.db.kysely);
  const [byLabels, series, lowest] = await Promise.all([byLabelsRead, seriesRead, lowestRead]);

  const folded = new Map<string | null, { n: number; fb: number; scored: number; conf: number }>();
  for (const r of byLabels.rows) {
    const key = r.intent ?? r.predicted;
    const f = folded.get(key) ?? { n: 0, fb: 0, scored: 0, conf: 0 };
    f.n += num(r.n);
    f.fb += num(r.fb);
    f.scored += num(r.scored);
    f.conf += num(r.conf);
    folded.set(key, f);
  }

  let turns = 0;
  let fallback = 0;
  let scored = 0;
  const rows: FallbackRow[] = [...folded.entries()].map(([intent, r]) => {
    const n = r.n;
    const fb = r.fb;
    const sc = r.scored;
    turns += n;
    fallback += fb;
    scored += sc;
    return {
      intent: intent ?? '(none)',
      turns: n,
      fallback: fb,
      share: n === 0 ? 0 : round(fb / n),
      mean_confidence: sc === 0 ? null : round(r.conf / sc),
    };
  });
  rows.sort((a, b) => b.fallback - a.fallback || b.turns - a.turns || a.intent.localeCompare(b.intent));

  const periods = new Map<number, { turns: number; fallback: number }>();
  for (const r of series.rows) {
    const start = rollupPeriod(num(r.p), filters.granularity);
    const p = periods.get(start) ?? { turns: 0, fallback: 0 };
    p.turns += num(r.n);
    p.fallback += num(r.fb);
    periods.set(start, p);
  }

  return {
    filters: describeFilters(filters),
    threshold,
    fallback_labels: FALLBACK_LABELS,
    turns,
    scored_turns: scored,
    fallback,
    share: turns === 0 ? 0 : round(fallback / turns),
    by_intent: rows,
    series: [...periods.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([start, p]) => ({
        period: isoPeriod(start),
        turns: p.turns,
        fallback: p.fallback,
        share: p.turns === 0 ? 0 : round(p.fallback / p.turns),
      })),
    lowest_confidence: lowest.rows.map((r) => ({
      turn_id: num(r.id),
      conversation: r.external_id,
      text: r.text,
      intent: r.intent,
      predicted_intent: r.predicted_intent,
      confidence: numOrNull(r.confidence) ?? 0,
    })),
  };
}
