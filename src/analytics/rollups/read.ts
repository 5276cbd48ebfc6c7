import { sql, type RawBuilder } from 'kysely';
import type { Dialect } from '../../db/connection.js';
import type { AnalyticsFilters, Speaker } from '../filters.js';
import { aggregateTurnsSql } from './build.js';
import { effectiveIntent, inSubquery, visibleDataset } from '../filters.js';

/**
 * Reading rollups in place of raw turns.
 *
 * Turn-level answers (intents, fallback, sentiment and the user-turn figures of the overview) read
 * `turn_rollups_daily` (UTC days). Time bounds select the whole days inside [from, to) from the
 * rollups; the partial days at either edge are aggregated exactly from the raw turns with the same
 * expressions the rollups were built with, so a bound inside a day is never rounded. Hourly series
 * are finer than the buckets: they take the raw query (`dailyRollupsApply`).
 *
 * Conversation-level answers (overview, sessions, flows, the most negative conversations) read
 * `conversation_rollups` when no time bound is set: a bound would cut conversations apart, and
 * those answers then take the raw query.
 */

const DAY = 86_400_000;
const floorDay = (t: number) => t - (((t % DAY) + DAY) % DAY);
const ceilDay = (t: number) => (floorDay(t) === t ? t : floorDay(t) + DAY);

/**
 * A subquery with the rollup columns (bucket_day, speaker, intent and the measures) for the turns
 * the filters select, the intent filter applying to each turn. `speaker` overrides the filters'.
 */
export function dailySource(filters: AnalyticsFilters, options: { defaultSpeaker?: Speaker }): RawBuilder<unknown> {
  const speaker = filters.speaker ?? options.defaultSpeaker;
  const keys = (alias: 'r' | 't'): RawBuilder<unknown>[] => {
    const parts: RawBuilder<unknown>[] = [sql`1 = 1`];
    if (filters.datasetId !== undefined) parts.push(sql`${sql.ref(`${alias}.dataset_id`)} = ${filters.datasetId}`);
    else parts.push(visibleDataset(sql.ref(`${alias}.dataset_id`)));
    if (speaker !== undefined) parts.push(sql`${sql.ref(`${alias}.speaker`)} = ${speaker}`);
    if (filters.intent !== undefined) {
      const intent = alias === 'r' ? sql.ref('r.intent') : effectiveIntent('t');
      parts.push(sql`${intent} = ${filters.intent}`);
    }
    return parts;
  };
  const rollup = (range: RawBuilder<unknown>) =>
    sql`select r.* from turn_rollups_daily r where ${sql.join([...keys('r'), range], sql` and `)}`;
  const edge = (lo: number | undefined, hi: number | undefined) => {
    const parts = keys('t');
    if (lo !== undefined) parts.push(sql`t.ts >= ${lo}`);
    if (hi !== undefined) parts.push(sql`t.ts < ${hi}`);
    if (lo === undefined && hi === undefined) parts.push(sql`t.ts is not null`);
    return aggregateTurnsSql(sql.join(parts, sql` and `));
  };

  const { from, to } = filters;
  if (from === undefined && to === undefined) return rollup(sql`1 = 1`);
  const lo = from === undefined ? undefined : ceilDay(from);
  const hi = to === undefined ? undefined : floorDay(to);
  if (lo !== undefined && hi !== undefined && lo >= hi) return edge(from, to); // within one or two days
  const parts: RawBuilder<unknown>[] = [];
  const whole: RawBuilder<unknown>[] = [sql`r.bucket_day is not null`];
  if (lo !== undefined) whole.push(sql`r.bucket_day >= ${lo}`);
  if (hi !== undefined) whole.push(sql`r.bucket_day < ${hi}`);
  parts.push(rollup(sql.join(whole, sql` and `)));
  if (from !== undefined && from < lo!) parts.push(edge(from, lo));
  if (to !== undefined && hi! < to) parts.push(edge(hi, to));
  return sql.join(
    parts.map((p) => sql`${p}`),
    sql` union all `,
  );
}

/** How an answer is read: `raw` bypasses the rollups (the equality test and the bench use it). */
export interface SourceOptions {
  raw?: boolean;
}

/** Whether turn-level answers can come from `turn_rollups_daily` (a series by hour cannot). */
export const dailyRollupsApply = (filters: AnalyticsFilters, options: SourceOptions = {}): boolean =>
  options.raw !== true && filters.granularity !== 'hour';

/** Whether conversation-level answers can come from `conversation_rollups`. */
export const conversationRollupsApply = (filters: AnalyticsFilters, options: SourceOptions = {}): boolean =>
  options.raw !== true && filters.from === undefined && filters.to === undefined;

/** `where` over `conversation_rollups cr`: dataset and the conversation-scope intent filter. */
export function conversationRollupWhere(filters: AnalyticsFilters, dialect: Dialect): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [sql`1 = 1`];
  if (filters.datasetId !== undefined) parts.push(sql`cr.dataset_id = ${filters.datasetId}`);
  else parts.push(visibleDataset(sql.ref('cr.dataset_id')));
  if (filters.intent !== undefined) {
    const inDataset = filters.datasetId === undefined ? sql`1 = 1` : sql`ci.dataset_id = ${filters.datasetId}`;
    const withIntent = sql`select ci.conversation_id from conversation_intents ci where ${inDataset} and ci.intent = ${filters.intent}`;
    parts.push(inSubquery(dialect, sql.ref('cr.conversation_id'), withIntent));
  }
  return sql.join(parts, sql` and `);
}

/**
 * Per conversation: matching turn count `n` and first/last time, counting the filtered speaker's
 * turns (every turn when none), as `conversationAggregate` does on raw turns.
 */
export function conversationAggregateFromRollups(filters: AnalyticsFilters, dialect: Dialect): RawBuilder<unknown> {
  const [n, f, l] =
    filters.speaker === 'USER'
      ? ['user_turns', 'user_first_ts', 'user_last_ts']
      : filters.speaker === 'SYSTEM'
        ? ['system_turns', 'system_first_ts', 'system_last_ts']
        : ['turns', 'first_ts', 'last_ts'];
  return sql`select cr.conversation_id as c, ${sql.ref(`cr.${n}`)} as n, ${sql.ref(`cr.${f}`)} as first_ts,
      ${sql.ref(`cr.${l}`)} as last_ts
    from conversation_rollups cr where ${conversationRollupWhere(filters, dialect)} and ${sql.ref(`cr.${n}`)} > 0`;
}
