import { sql, type RawBuilder } from 'kysely';
import type { LabContext } from '../lab/context.js';
import { NotFoundError, ValidationError, type ErrorDetail } from '../core/errors.js';
import type { AnalyticsFiltersView } from '../api/contracts/analytics.js';
import type { Dialect } from '../db/connection.js';

/**
 * The filters every analytics query takes, and the SQL fragments that apply them on both dialects.
 *
 * Semantics (documented in the README):
 * - `datasetId`: turns/conversations of one dataset (all datasets when absent).
 * - `from`/`to`: turn event time `turns.ts` (epoch ms) in [from, to); turns without a timestamp are
 *   left out when either bound is set.
 * - `speaker`: USER or SYSTEM. Intent-based analytics (intents, flows, fallback) default to USER.
 * - `intent`: the effective intent (the given label, else the predicted one). Turn-level analytics
 *   (intents, fallback, sentiment) keep only turns with that intent; conversation-level analytics
 *   (overview, flows, sessions) keep whole conversations that contain a turn with that intent.
 * - `granularity`: the period of time series.
 */
export const GRANULARITIES = ['hour', 'day', 'week', 'month'] as const;
export type Granularity = (typeof GRANULARITIES)[number];
export const SPEAKERS = ['USER', 'SYSTEM'] as const;
export type Speaker = (typeof SPEAKERS)[number];

export interface AnalyticsFilters {
  datasetId?: number;
  from?: number;
  to?: number;
  speaker?: Speaker;
  intent?: string;
  granularity: Granularity;
}

/** Filters as they arrive from a query string or CLI flags (strings), before validation. */
export interface RawFilters {
  dataset?: string | number;
  from?: string | number;
  to?: string | number;
  speaker?: string;
  intent?: string;
  granularity?: string;
}

/** The effective intent of a turn: the given label, else the classifier's prediction. */
export const effectiveIntent = (alias = 't'): RawBuilder<string | null> =>
  sql<string | null>`coalesce(${sql.ref(`${alias}.intent`)}, ${sql.ref(`${alias}.predicted_intent`)})`;

/**
 * `column` is one of the values `subquery` returns (a set the filters keep small, e.g. the
 * conversations with one intent). SQLite plans `in (subquery)` as lookups of each value; PostgreSQL
 * plans it as a semi-join and, the outer table being large, hashes the subquery and scans the whole
 * outer table. `= any(array(subquery))` makes it evaluate the set once and look each value up in
 * the outer table's index instead.
 */
export const inSubquery = (dialect: Dialect, column: RawBuilder<unknown>, subquery: RawBuilder<unknown>) =>
  dialect === 'postgres' ? sql`${column} = any(array(${subquery}))` : sql`${column} in (${subquery})`;

/** Parses an ISO-8601 date/time or epoch milliseconds; undefined when absent. */
function parseTime(value: string | number | undefined, field: string, problems: ErrorDetail[]): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'number' || /^-?\d+$/.test(value)) {
    const n = Number(value);
    if (Number.isSafeInteger(n)) return n;
  } else {
    // A bare date means midnight UTC, as Date.parse does for YYYY-MM-DD.
    const n = Date.parse(value);
    if (!Number.isNaN(n)) return n;
  }
  problems.push({ field, problem: 'must be an ISO-8601 date/time or epoch milliseconds' });
  return undefined;
}

/** Validates raw filters; one ValidationError naming every bad field. */
export function parseFilters(raw: RawFilters, fieldPrefix = 'querystring.'): AnalyticsFilters {
  const problems: ErrorDetail[] = [];
  const filters: AnalyticsFilters = { granularity: 'day' };
  if (raw.dataset !== undefined && raw.dataset !== '') {
    const id = Number(raw.dataset);
    if (Number.isSafeInteger(id) && id > 0) filters.datasetId = id;
    else problems.push({ field: `${fieldPrefix}dataset`, problem: 'must be a positive integer dataset id' });
  }
  filters.from = parseTime(raw.from, `${fieldPrefix}from`, problems);
  filters.to = parseTime(raw.to, `${fieldPrefix}to`, problems);
  if (filters.from !== undefined && filters.to !== undefined && filters.from >= filters.to) {
    problems.push({ field: `${fieldPrefix}to`, problem: 'must be later than from' });
  }
  if (raw.speaker !== undefined && raw.speaker !== '') {
    const speaker = raw.speaker.toUpperCase();
    if ((SPEAKERS as readonly string[]).includes(speaker)) filters.speaker = speaker as Speaker;
    else problems.push({ field: `${fieldPrefix}speaker`, problem: `must be one of ${SPEAKERS.join(', ')}` });
  }
  if (raw.intent !== undefined && raw.intent !== '') filters.intent = raw.intent;
  if (raw.granularity !== undefined && raw.granularity !== '') {
    if ((GRANULARITIES as readonly string[]).includes(raw.granularity)) {
      filters.granularity = raw.granularity as Granularity;
    } else {
      problems.push({ field: `${fieldPrefix}granularity`, problem: `must be one of ${GRANULARITIES.join(', ')}` });
    }
  }
  if (problems.length > 0)
    throw new ValidationError(`invalid analytics filters: ${problems[0]!.field} ${problems[0]!.problem}`, problems);
  return filters;
}

/** Throws NotFoundError when the filter names a dataset that does not exist. */
export async function assertDatasetExists(lab: LabContext, filters: AnalyticsFilters): Promise<void> {
  if (filters.datasetId === undefined) return;
  const row = await lab.db.kysely
    .selectFrom('datasets')
    .select('id')
    .where('id', '=', filters.datasetId)
    .where('status', '=', 'ready')
    .executeTakeFirst();
  if (!row) throw new NotFoundError('dataset', filters.datasetId);
}

/**
 * `datasetId` (a column holding a dataset id) is not a dataset still being ingested: a chunked
 * ingestion commits turns and rollups before its dataset is ready, and answers over every dataset
 * must not count them. A named dataset needs no such check (an ingesting one is not found).
 */
export function visibleDataset(datasetId: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`${datasetId} not in (select d.id from datasets d where d.status = 'ingesting')`;
}

/** Filters in a form fit for report headers and JSON answers (ISO times). */
export function describeFilters(filters: AnalyticsFilters): AnalyticsFiltersView {
  return {
    dataset: filters.datasetId ?? null,
    from: filters.from === undefined ? null : new Date(filters.from).toISOString(),
    to: filters.to === undefined ? null : new Date(filters.to).toISOString(),
    speaker: filters.speaker ?? null,
    intent: filters.intent ?? null,
    granularity: filters.granularity,
  };
}

export interface WhereOptions {
  /** Speaker used when the filters name none (undefined = every speaker). */
  defaultSpeaker?: Speaker;
  /** How the intent filter applies: to the turn itself, to its conversation, or not at all. */
  intentScope: 'turn' | 'conversation' | 'none';
}

/** `where ...` over `turns t` for the given filters (always a valid clause: `1 = 1` when empty). */
export function turnWhere(filters: AnalyticsFilters, options: WhereOptions): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [sql`1 = 1`];
  if (filters.datasetId !== undefined) parts.push(sql`t.dataset_id = ${filters.datasetId}`);
  else parts.push(visibleDataset(sql.ref('t.dataset_id')));
  if (filters.from !== undefined) parts.push(sql`t.ts >= ${filters.from}`);
  if (filters.to !== undefined) parts.push(sql`t.ts < ${filters.to}`);
  const speaker = filters.speaker ?? options.defaultSpeaker;
  if (speaker !== undefined) parts.push(sql`t.speaker = ${speaker}`);
  if (filters.intent !== undefined) {
    if (options.intentScope === 'turn') parts.push(sql`${effectiveIntent('t')} = ${filters.intent}`);
    if (options.intentScope === 'conversation') {
      const inDataset = filters.datasetId === undefined ? sql`1 = 1` : sql`x.dataset_id = ${filters.datasetId}`;
      parts.push(
        sql`t.conversation_id in (select x.conversation_id from turns x where ${inDataset} and ${effectiveIntent('x')} = ${filters.intent})`,
      );
    }
  }
  return sql`${sql.join(parts, sql` and `)}`;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/** 1970-01-05 was a Monday: weeks start on Monday (ISO 8601). */
const MONDAY_OFFSET = 4 * DAY;

/**
 * SQL expression for the period start (epoch ms) of an epoch-ms column. Hours, days and weeks are
 * integer arithmetic (fast, identical on both dialects, UTC); months are not a fixed length, so the
 * database groups by day and `rollupPeriod` folds days into months in JS (at most 366 rows a year).
 */
export function periodSql(column: RawBuilder<unknown>, granularity: Granularity): RawBuilder<number> {
  const [size, offset] = granularity === 'hour' ? [HOUR, 0] : granularity === 'week' ? [WEEK, MONDAY_OFFSET] : [DAY, 0];
  // ((x % n) + n) % n is a true modulo for negative times too (SQL % truncates toward zero).
  return sql<number>`(${column} - ((((${column} - ${sql.lit(offset)}) % ${sql.lit(size)}) + ${sql.lit(size)}) % ${sql.lit(size)}))`;
}

/** Maps a period start from `periodSql` to the final period start (days -> months for 'month'). */
export function rollupPeriod(start: number, granularity: Granularity): number {
  if (granularity !== 'month') return start;
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

export const isoPeriod = (start: number): string => new Date(start).toISOString();

/** Numbers from the driver (pg may hand back strings for some aggregates) as JS numbers. */
export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Rounds for presentation (shares and means), keeping JSON small and stable. */
export const round = (v: number, digits = 4): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};
