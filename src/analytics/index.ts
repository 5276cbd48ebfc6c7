import type { LabContext } from '../lab/context.js';
import { ValidationError } from '../core/errors.js';
import type {
  FallbackResult,
  FlowsResult,
  IntentsResult,
  OverviewResult,
  SentimentResult,
  SessionsResult,
} from '../api/contracts/analytics.js';
import { fallbackAnalysis } from './fallback.js';
import { assertDatasetExists, type AnalyticsFilters } from './filters.js';
import { flowAnalysis } from './flows.js';
import { intentDistribution } from './intents.js';
import { overview } from './overview.js';
import { sentimentAnalysis } from './sentiment.js';
import { sessionAnalysis } from './sessions.js';

export * from './filters.js';

export const ANALYTICS_KINDS = ['overview', 'intents', 'flows', 'fallback', 'sessions', 'sentiment'] as const;
export type AnalyticsKind = (typeof ANALYTICS_KINDS)[number];

/** Options beyond the shared filters; each kind reads the ones it knows. */
export interface AnalyticsOptions {
  /** intents/flows: how many intents or paths to list before `(other)`. */
  top?: number;
  /** fallback/sentiment: how many examples/conversations to list. */
  limit?: number;
  /** fallback: confidence under which a prediction counts as fallback. */
  threshold?: number;
  /** Answer from the raw turns, bypassing the rollups (the equality test and the bench). */
  raw?: boolean;
}

export function assertKind(kind: string): AnalyticsKind {
  if ((ANALYTICS_KINDS as readonly string[]).includes(kind)) return kind as AnalyticsKind;
  throw new ValidationError(`unknown analytics kind "${kind}": use one of ${ANALYTICS_KINDS.join(', ')}`, [
    { field: 'kind', problem: `must be one of ${ANALYTICS_KINDS.join(', ')}` },
  ]);
}

/** Validates analytics options; one ValidationError naming each bad field. */
export function parseOptions(
  raw: { top?: unknown; limit?: unknown; threshold?: unknown },
  prefix = 'querystring.',
): AnalyticsOptions {
  const options: AnalyticsOptions = {};
  const problems: Array<{ field: string; problem: string }> = [];
  for (const key of ['top', 'limit'] as const) {
    const v = raw[key];
    if (v === undefined || v === '') continue;
    const n = Number(v);
    if (Number.isInteger(n) && n >= 1 && n <= 1000) options[key] = n;
    else problems.push({ field: `${prefix}${key}`, problem: 'must be an integer between 1 and 1000' });
  }
  if (raw.threshold !== undefined && raw.threshold !== '') {
    const t = Number(raw.threshold);
    if (Number.isFinite(t) && t >= 0 && t <= 1) options.threshold = t;
    else problems.push({ field: `${prefix}threshold`, problem: 'must be a number between 0 and 1' });
  }
  if (problems.length > 0)
    throw new ValidationError(`invalid analytics options: ${problems[0]!.field} ${problems[0]!.problem}`, problems);
  return options;
}

/** Each kind's answer, as the API contract declares it. */
export interface AnalyticsResults {
  overview: OverviewResult;
  intents: IntentsResult;
  flows: FlowsResult;
  fallback: FallbackResult;
  sessions: SessionsResult;
  sentiment: SentimentResult;
}

const runners: {
  [K in AnalyticsKind]: (
    lab: LabContext,
    filters: AnalyticsFilters,
    options: AnalyticsOptions,
  ) => Promise<AnalyticsResults[K]>;
} = {
  overview,
  intents: intentDistribution,
  flows: flowAnalysis,
  fallback: fallbackAnalysis,
  sessions: sessionAnalysis,
  sentiment: sentimentAnalysis,
};

/** Runs one analytics kind; the single entry point for the API, the CLI and the reports. */
export async function runAnalytics<K extends AnalyticsKind>(
  lab: LabContext,
  kind: K,
  filters: AnalyticsFilters,
  options: AnalyticsOptions = {},
): Promise<AnalyticsResults[K]> {
  // The check and the reads at once (PostgreSQL: separate pooled connections, one round trip
  // less per request); a missing dataset still answers 404, and what was read is dropped.
  const [, result] = await Promise.all([assertDatasetExists(lab, filters), runners[kind](lab, filters, options)]);
  return result;
}

export { fallbackAnalysis, flowAnalysis, intentDistribution, overview, sentimentAnalysis, sessionAnalysis };
