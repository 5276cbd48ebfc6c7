/** Synthetic logs and checks shared by the rollup tests (seeded: the same on every run). */
import { writeFileSync } from 'node:fs';
import { sql } from 'kysely';
import { expect } from 'vitest';
import {
  ANALYTICS_KINDS,
  GRANULARITIES,
  runAnalytics,
  type AnalyticsFilters,
  type AnalyticsOptions,
} from '../../src/analytics/index.js';
import type { Predictor } from '../../src/analytics/label.js';
import { rebuildRollups } from '../../src/analytics/rollups/rebuild.js';
import type { TestLab } from '../support/databases.js';

/** Seeded generator (mulberry32): the same data and filter combinations on every run. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!,
  };
}

export const INTENTS = ['__proto__', 'constructor', 'check_balance', 'transfer', 'fallback', 'OOS', 'greet'] as const;
const WORDS = ['great', 'terrible', 'card', 'money', 'thanks', 'awful', 'ok', 'balance', 'love', 'hate'];
export const HOUR = 3_600_000;
/** A Sunday before a Monday (week), a 1st of the month and a new year: every period boundary. */
export const BASE = Date.UTC(2024, 11, 29, 9, 17);
export const SPAN_HOURS = 80;

/** A conversation log (JSON Lines) whose turns cross hour, day and week boundaries. */
export function writeLog(file: string, seed: number): void {
  const r = rng(seed);
  const lines: string[] = [];
  for (let c = 0; c < 40; c++) {
    const timed = r.next() > 0.1;
    let ts = BASE + r.int(SPAN_HOURS) * HOUR + r.int(60) * 60_000;
    const length = 1 + r.int(7);
    for (let i = 0; i < length; i++) {
      ts += r.int(40) * 60_000 + r.int(60) * 1000;
      const user = r.next() < 0.7;
      const text = `${c}-${i} ${r.pick(WORDS)} ${r.pick(WORDS)}`;
      const row: Record<string, unknown> = { conversation_id: `c${seed}-${c}`, speaker: user ? 'user' : 'bot', text };
      if (r.next() < 0.45) row.intent = r.pick(INTENTS);
      if (timed) row.timestamp = new Date(ts).toISOString();
      lines.push(JSON.stringify(row));
    }
  }
  writeFileSync(file, lines.join('\n') + '\n');
}

/** Answers derived from the text alone (a hash), so relabelling with another seed changes them. */
export function predictor(seed: number): Predictor {
  const labels = [...INTENTS];
  return {
    modelVersion: `stub@${seed}`,
    labels,
    threshold: 0.5,
    predict(texts) {
      return texts.map((t) => {
        let h = seed;
        for (const ch of t) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
        const confidence = [0.1, 0.25, 0.45, 0.5, 0.55, 0.7, 0.9][h % 7]!;
        return { intent: labels[(h >>> 3) % labels.length]!, confidence, fallback: confidence < 0.5 };
      });
    },
  };
}

/**
 * Deep equality where numbers may differ in their last rounded digit: rollups sum per hour and
 * then across hours, the raw query sums the turns in another order, and a presented mean rounded
 * to 4 decimals can land on either side of a half.
 */
export function expectSame(actual: unknown, expected: unknown, where = 'answer'): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    if (Number.isInteger(expected) && Number.isInteger(actual) && Math.abs(expected) > 1) {
      expect(actual, where).toBe(expected);
    } else expect(Math.abs(actual - expected), `${where}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1.5e-4);
    return;
  }
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), where).toBe(true);
    expect((actual as unknown[]).length, `${where}.length`).toBe(expected.length);
    expected.forEach((e, i) => expectSame((actual as unknown[])[i], e, `${where}[${i}]`));
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    expect(actual !== null && typeof actual === 'object', where).toBe(true);
    expect(Object.keys(actual as object).sort(), `${where} keys`).toEqual(Object.keys(expected).sort());
    for (const key of Object.keys(expected)) {
      expectSame(
        (actual as Record<string, unknown>)[key],
        (expected as Record<string, unknown>)[key],
        `${where}.${key}`,
      );
    }
    return;
  }
  expect(actual, where).toEqual(expected);
}

/** Random filters: bounds on, off and inside hours, every speaker, intents that exist and not. */
export function randomFilters(r: ReturnType<typeof rng>, datasets: number[]): AnalyticsFilters {
  const filters: AnalyticsFilters = { granularity: r.pick(GRANULARITIES) };
  if (r.next() < 0.6) filters.datasetId = r.pick(datasets);
  const time = () => {
    const t = BASE - 9 * 60_000 + r.int(SPAN_HOURS + 10) * HOUR;
    // Aligned to the hour, inside one, or to the millisecond next to a boundary.
    return r.pick([t, t + r.int(HOUR), t - 1, t + 1]);
  };
  const bounds = r.int(5);
  if (bounds === 1 || bounds === 3) filters.from = time();
  if (bounds === 2 || bounds === 3) filters.to = time();
  if (bounds === 4) {
    filters.from = time();
    filters.to = filters.from + 1 + r.int(2 * HOUR);
  }
  if (filters.from !== undefined && filters.to !== undefined && filters.from >= filters.to) {
    [filters.from, filters.to] = [filters.to, filters.from + 1];
  }
  const speaker = r.int(4);
  if (speaker === 1) filters.speaker = 'USER';
  if (speaker === 2) filters.speaker = 'SYSTEM';
  if (r.next() < 0.4) filters.intent = r.pick([...INTENTS, 'no_such_intent']);
  return filters;
}

export async function expectRollupAnswers(
  lab: TestLab,
  seed: number,
  datasets: number[],
  rounds: number,
): Promise<void> {
  const r = rng(seed);
  for (let i = 0; i < rounds; i++) {
    const filters = randomFilters(r, datasets);
    const options: AnalyticsOptions = { top: 1 + r.int(5), limit: 1 + r.int(6) };
    for (const kind of ANALYTICS_KINDS) {
      const fromRollups = await runAnalytics(lab, kind, filters, options);
      const raw = await runAnalytics(lab, kind, filters, { ...options, raw: true });
      expectSame(fromRollups, raw, `${kind} ${JSON.stringify(filters)}`);
    }
  }
}

/**
 * The conversation-level answers the flow rollups and the duration index serve (no time bound,
 * every speaker or the user's, no intent filter) equal the raw queries: for each dataset and for
 * all of them, with few and many top paths.
 */
export async function expectFlowAnswers(lab: TestLab, datasets: number[]): Promise<void> {
  for (const datasetId of [...datasets, undefined]) {
    for (const speaker of [undefined, 'USER'] as const) {
      const filters: AnalyticsFilters = { granularity: 'day', datasetId, ...(speaker ? { speaker } : {}) };
      for (const top of [1, 3, 50]) {
        const fromRollups = await runAnalytics(lab, 'flows', filters, { top });
        expectSame(fromRollups, await runAnalytics(lab, 'flows', filters, { top, raw: true }), `flows top ${top}`);
      }
      expectSame(
        await runAnalytics(lab, 'overview', filters, {}),
        await runAnalytics(lab, 'overview', filters, { raw: true }),
        `overview ${JSON.stringify(filters)}`,
      );
    }
  }
}

/** Every rollup row, in a stable order. */
export async function rollupRows(lab: TestLab) {
  const k = lab.db.kysely;
  return {
    hourly: await sql`select * from turn_rollups_daily
      order by dataset_id, speaker, bucket_day nulls first, intent nulls first`.execute(k),
    conversations: await sql`select * from conversation_rollups order by conversation_id`.execute(k),
    intents: await sql`select * from conversation_intents order by conversation_id, speaker, intent`.execute(k),
    flowNodes: await sql`select * from flow_nodes order by dataset_id, intent`.execute(k),
    flowLinks: await sql`select * from flow_links order by dataset_id, source, target`.execute(k),
    flowPaths: await sql`select * from flow_paths order by dataset_id, path_key`.execute(k),
    sessions: await sql`select * from session_rollups
      order by dataset_id, bucket_day nulls first, turns`.execute(k),
  };
}

/** The rollups kept at write time equal a build from scratch. */
export async function expectRollupsFresh(lab: TestLab): Promise<void> {
  const kept = await rollupRows(lab);
  await rebuildRollups(lab);
  const rebuilt = await rollupRows(lab);
  expectSame(kept, rebuilt, 'rollups');
}
