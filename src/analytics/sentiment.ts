import { sql } from 'kysely';
import type { LabContext } from '../lab/context.js';
import {
  describeFilters,
  isoPeriod,
  num,
  periodSql,
  rollupPeriod,
  round,
  turnWhere,
  type AnalyticsFilters,
} from './filters.js';
import { conversationRollupsApply, conversationRollupWhere, dailyRollupsApply, dailySource } from './rollups/read.js';
import type { SentimentBucket, SentimentResult } from '../api/contracts/analytics.js';

/** The answer's shape is declared in the API contract (src/api/contracts/analytics.ts). */
export type { SentimentBucket, SentimentResult } from '../api/contracts/analytics.js';

/** VADER's own cut-offs on the compound score: <= -0.05 negative, >= 0.05 positive. */
export const NEGATIVE_AT = -0.05;
export const POSITIVE_AT = 0.05;

interface Sums {
  n: number;
  s: number;
  neg: number;
  pos: number;
}

const bucket = (x: Sums): SentimentBucket => ({
  turns: x.n,
  mean: x.n === 0 ? null : round(x.s / x.n),
  negative: x.n === 0 ? 0 : round(x.neg / x.n),
  neutral: x.n === 0 ? 0 : round((x.n - x.neg - x.pos) / x.n),
  positive: x.n === 0 ? 0 : round(x.pos / x.n),
});

/** Mean compound score and negative/neutral/positive shares per period and per intent. */
export async function sentimentAnalysis(
  lab: LabContext,
  filters: AnalyticsFilters,
  options: { limit?: number; raw?: boolean } = {},
): Promise<SentimentResult> {
  const limit = options.limit ?? 10;
  // USER turns unless the speaker filter says otherwise: VADER scores are stored for user turns.
  const where = sql`${turnWhere(filters, { defaultSpeaker: 'USER', intentScope: 'turn' })} and t.sentiment is not null`;
  const toSums = (r: { n: unknown; s: unknown; neg: unknown; pos: unknown }): Sums => ({
    n: num(r.n),
    s: num(r.s),
    neg: num(r.neg),
    pos: num(r.pos),
  });

  const sums = sql`count(*) as n, sum(t.sentiment) as s,
    sum(case when t.sentiment <= ${NEGATIVE_AT} then 1 else 0 end) as neg,
    sum(case when t.sentiment >= ${POSITIVE_AT} then 1 else 0 end) as pos`;
  // The per-intent and per-period sums come from the rollups (src/analytics/rollups), whose key is
  // the effective intent; the raw query groups by both label columns (index order) and folds below.
  const source = !dailyRollupsApply(filters, options) ? null : dailySource(filters, { defaultSpeaker: 'USER' });
  const rollupSums = sql`sum(r.sentiment_n) as n, sum(r.sentiment_sum) as s, sum(r.negative) as neg,
    sum(r.positive) as pos`;
  type Row = { intent: string | null; predicted: string | null; n: number; s: number; neg: number; pos: number };
  const byLabels = await (
    source
      ? sql<Row>`
    select r.intent as intent, null as predicted, ${rollupSums} from (${source}) r where r.sentiment_n > 0
    group by r.intent`
      : sql<Row>`
    select t.intent as intent, t.predicted_intent as predicted, ${sums} from turns t where ${where}
    group by t.intent, t.predicted_intent`
  ).execute(lab.db.kysely);
  const folded = new Map<string | null, Sums>();
  for (const r of byLabels.rows) {
    const key = r.intent ?? r.predicted;
    const f = folded.get(key) ?? { n: 0, s: 0, neg: 0, pos: 0 };
    const x = toSums(r);
    folded.set(key, { n: f.n + x.n, s: f.s + x.s, neg: f.neg + x.neg, pos: f.pos + x.pos });
  }

  type SeriesRow = { p: number; n: number; s: number; neg: number; pos: number };
  const series = await (
    source
      ? sql<SeriesRow>`
    select ${periodSql(sql.ref('r.bucket_day'), filters.granularity)} as p, ${rollupSums} from (${source}) r
    where r.bucket_day is not null and r.sentiment_n > 0 group by 1`
      : sql<SeriesRow>`
    select ${periodSql(sql.ref('t.ts'), filters.granularity)} as p, ${sums} from turns t
    where ${where} and t.ts is not null group by 1`
  ).execute(lab.db.kysely);

  // Per conversation from its rollup when the answer is every user turn of the conversation. For
  // one dataset the lowest means are the first entries of conversation_rollups_sentiment_idx
  // (migration 0014), so the ranking is spelt as that index's expression.
  const fromRollups =
    conversationRollupsApply(filters, options) &&
    filters.intent === undefined &&
    (filters.speaker ?? 'USER') === 'USER';
  const worst =
    fromRollups && filters.datasetId !== undefined
      ? sql`select cr.conversation_id as c, cr.user_sentiment_n as n,
          cr.user_sentiment_sum / cr.user_sentiment_n as m, cr.user_sentiment_min as mn
        from conversation_rollups cr where cr.dataset_id = ${filters.datasetId} and cr.user_sentiment_n > 0
        order by cr.user_sentiment_sum / cr.user_sentiment_n asc, cr.conversation_id asc limit ${limit}`
      : sql`select c, n, m, mn from (${
          fromRollups
            ? sql`select cr.conversation_id as c, cr.user_sentiment_n as n,
          cr.user_sentiment_sum / cr.user_sentiment_n as m, cr.user_sentiment_min as mn
        from conversation_rollups cr where ${conversationRollupWhere(filters, lab.db.dialect)} and cr.user_sentiment_n > 0`
            : sql`select t.conversation_id as c, count(*) as n, avg(t.sentiment) as m, min(t.sentiment) as mn
        from turns t where ${where} group by t.conversation_id`
        }) per order by m asc, c asc limit ${limit}`;
  const negative = await sql<{ c: number; external_id: string; n: number; m: number; mn: number }>`
    with worst as (${worst})
    select w.c, conv.external_id, w.n, w.m, w.mn from worst w join conversations conv on conv.id = w.c
    order by w.m asc, w.c asc`.execute(lab.db.kysely);

  const total: Sums = { n: 0, s: 0, neg: 0, pos: 0 };
  const intents = [...folded.entries()].map(([intent, x]) => {
    total.n += x.n;
    total.s += x.s;
    total.neg += x.neg;
    total.pos += x.pos;
    return { intent: intent ?? '(none)', ...bucket(x) };
  });
  intents.sort((a, b) => (a.mean ?? 0) - (b.mean ?? 0) || a.intent.localeCompare(b.intent));

  const periods = new Map<number, Sums>();
  for (const r of series.rows) {
    const start = rollupPeriod(num(r.p), filters.granularity);
    const p = periods.get(start) ?? { n: 0, s: 0, neg: 0, pos: 0 };
    const x = toSums(r);
    periods.set(start, { n: p.n + x.n, s: p.s + x.s, neg: p.neg + x.neg, pos: p.pos + x.pos });
  }

  return {
    filters: describeFilters(filters),
    overall: bucket(total),
    series: [...periods.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([start, x]) => ({ period: isoPeriod(start), ...bucket(x) })),
    by_intent: intents,
    most_negative: negative.rows.map((r) => ({
      conversation: r.external_id,
      conversation_id: num(r.c),
      turns: num(r.n),
      mean: round(num(r.m)),
      min: round(num(r.mn)),
    })),
  };
}
