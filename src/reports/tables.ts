import type { AnalyticsKind } from '../analytics/index.js';
import type { FallbackResult } from '../analytics/fallback.js';
import type { FlowsResult } from '../analytics/flows.js';
import type { IntentsResult } from '../analytics/intents.js';
import type { OverviewResult } from '../analytics/overview.js';
import type { SentimentResult } from '../analytics/sentiment.js';
import type { SessionsResult } from '../analytics/sessions.js';
import { ValidationError } from '../core/errors.js';
import type { Row } from './csv.js';
import { hasKey } from '../core/dict.js';

/**
 * Each analytics answer as named flat tables: what the CSV export downloads (one table per file,
 * the first by default) and what the PDF prints. One place decides the columns for both.
 */
export function analyticsTables(kind: AnalyticsKind, result: unknown): Record<string, Row[]> {
  switch (kind) {
    case 'overview': {
      const o = result as OverviewResult;
      return {
        summary: [
          { metric: 'conversations', value: o.conversations },
          { metric: 'turns', value: o.turns },
          { metric: 'user_turns', value: o.user_turns },
          { metric: 'distinct_intents', value: o.distinct_intents },
          { metric: 'predicted_turns', value: o.predicted_turns },
          { metric: 'turns_per_conversation_mean', value: o.turns_per_conversation.mean },
          { metric: 'turns_per_conversation_median', value: o.turns_per_conversation.median },
          { metric: 'turns_per_conversation_p90', value: o.turns_per_conversation.p90 },
          { metric: 'duration_ms_mean', value: o.duration_ms.mean },
          { metric: 'duration_ms_median', value: o.duration_ms.median },
          { metric: 'first_turn_at', value: o.first_turn_at },
          { metric: 'last_turn_at', value: o.last_turn_at },
        ],
      };
    }
    case 'intents': {
      const r = result as IntentsResult;
      return {
        intents: r.intents.map((i) => ({ intent: i.intent, count: i.count, share: i.share })),
        series: r.series.flatMap((p) =>
          Object.entries(p.counts).map(([intent, count]) => ({ period: p.period, intent, count })),
        ),
      };
    }
    case 'flows': {
      const r = result as FlowsResult;
      return {
        links: r.links.map((l) => ({ source: l.source, target: l.target, count: l.count })),
        entries: r.entries.map((e) => ({ intent: e.intent, count: e.count, share: e.share })),
        exits: r.exits.map((e) => ({ intent: e.intent, count: e.count, share: e.share })),
        paths: r.paths.map((p) => ({ path: p.path.join(' > '), count: p.count, share: p.share })),
        nodes: r.nodes.map((n) => ({ ...n })),
      };
    }
    case 'fallback': {
      const r = result as FallbackResult;
      return {
        by_intent: r.by_intent.map((i) => ({ ...i })),
        series: r.series.map((p) => ({ ...p })),
        lowest_confidence: r.lowest_confidence.map((x) => ({ ...x })),
      };
    }
    case 'sessions': {
      const r = result as SessionsResult;
      return {
        length_histogram: r.length_histogram.map((b) => ({ ...b })),
        per_period: r.per_period.map((p) => ({ ...p })),
      };
    }
    case 'sentiment': {
      const r = result as SentimentResult;
      return {
        series: r.series.map((p) => ({ ...p })),
        by_intent: r.by_intent.map((p) => ({ ...p })),
        most_negative: r.most_negative.map((p) => ({ ...p })),
      };
    }
  }
}

/** The table a CSV download holds: `table` when named (and known), else the kind's first. */
export function pickTable(kind: AnalyticsKind, result: unknown, table?: string): { name: string; rows: Row[] } {
  const tables = analyticsTables(kind, result);
  const names = Object.keys(tables);
  const name = table ?? names[0]!;
  if (!hasKey(tables, name)) {
    throw new ValidationError(`unknown table "${name}" for ${kind}: use one of ${names.join(', ')}`, [
      { field: 'querystring.table', problem: `must be one of ${names.join(', ')}` },
    ]);
  }
  return { name, rows: tables[name]! };
}
