import { sql } from 'kysely';
import type { LabContext } from '../core/context.js';
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

/** VADER's own cut-offs on the compound score: <= -0.05 negative, >= 0.05 positive. */
export const NEGATIVE_AT = -0.05;
export const POSITIVE_AT = 0.05;

export interface SentimentBucket {
  turns: number;
  mean: number | null;
  negative: number;
  neutral: number;
  positive: number;
}

export interface SentimentResult {
  filters: ReturnType<typeof describeFilters>;
  /** Every matching turn with a stored score (user turns: scored at ingestion or by analyze). */
  overall: SentimentBucket;
  series: Array<{ period: string } & SentimentBucket>;
  by_intent: Array<{ intent: string } & SentimentBucket>;
  most_negative: Array<{ conversation: string; conversation_id: number; turns: number; mean: number; min: number }>;
}

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
  options: { limit?: number } = {},
): Promise<SentimentResult> {
  const limit = options.limit ?? 10;
  // USER turns unless the speaker filter says otherwise: VADER scores are stored for user turns.
  const where = sql`${turnWhere(filters, { defaultSpeaker: 'USER', intentScope: 'turn' })} and t.sentiment is not null`;
  const sums = sql`count(*) as n, sum(t.sentiment) as s,
    sum(case when t.sentiment <= ${NEGATIVE_AT} then 1 else 0 end) as neg,
    sum(case when t.sentiment >= ${POSITIVE_AT} then 1 else 0 end) as pos`;
  const toSums = (r: { n: unknown; s: unknown; neg: unknown; pos: unknown }): Sums => ({
    n: num(r.n),
    s: num(r.s),
    neg: num(r.neg),
    pos: num(r.pos),
  });

  // Grouped by both label columns (index order, no sort); the effective intent is folded below.
  const byLabels = await sql<{
    intent: string | null;
    predicted: string | null;
    n: number;
    s: number;
    neg: number;
    pos: number;
  }>`
    select t.intent as intent, t.predicted_intent as predicted, ${sums} from turns t where ${where}
    group by t.intent, t.predicted_intent`.execute(lab.db.kysely);
  const folded = new Map<string | null, Sums>();
  for (const r of byLabels.rows) {
    const key = r.intent ?? r.predicted;
    const f = folded.get(key) ?? { n: 0, s: 0, neg: 0, pos: 0 };
    const x = toSums(r);
    folded.set(key, { n: f.n + x.n, s: f.s + x.s, neg: f.neg + x.neg, pos: f.pos + x.pos });
  }

  const period = periodSql(sql.ref('t.ts'), filters.granularity);
  const series = await sql<{ p: number; n: number; s: number; neg: number; pos: number }>`
    select ${period} as p, ${sums} from turns t where ${where} and t.ts is not null
    group by ${period}`.execute(lab.db.kysely);

  const negative = await sql<{ c: number; external_id: string; n: number; m: number; mn: number }>`
    with per as (
      select t.conversation_id as c, count(*) as n, avg(t.sentiment) as m, min(t.sentiment) as mn
      from turns t where ${where} group by t.conversation_id
    ),
    worst as (select c, n, m, mn from per order by m asc, c asc limit ${limit})
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
