/**
 * Analytics over a 1,000,000-turn log on SQLite: 100k conversations, 77 intents (BANKING77's
 * categories and texts), timestamps over a year. The log is written as JSON Lines and stored with
 * the real ingestion (`ingestDataset`, VADER included); prediction confidences for the fallback
 * analytics are then set with one direct UPDATE (no classifier in the loop). Each endpoint is timed
 * through the HTTP layer (`app.inject`), median of 5, next to the same answer computed from the raw turns
 * (rollups bypassed: the figures before rollups) and the raw GROUP BY over the same rows.
 *
 *   npm run bench -- analytics        (TURNS=200000 for a quicker run)
 */
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { buildApp } from '../src/api/app.js';
import { loadSettings } from '../src/config/settings.js';
import { openLab } from '../src/core/context.js';
import { parseFilters, runAnalytics, type AnalyticsKind } from '../src/analytics/index.js';
import { rebuildRollups } from '../src/analytics/rollups/rebuild.js';
import { ingestDataset } from '../src/datasets/ingest.js';
import { median, printTable, writeResult } from './harness.js';

const TURNS = Number(process.env.TURNS ?? 1_000_000);
const CONVERSATIONS = TURNS / 10;
const GOAL_MS = 500;
const RUNS = 5;

/** Deterministic PRNG (mulberry32) so every run measures the same log. */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function writeLog(file: string): Promise<{ turns: number; intents: number }> {
  const banking = parse(readFileSync(path.resolve(import.meta.dirname, '../../shared/datasets/banking77/train.csv')), {
    columns: true,
  }) as Array<{ text: string; category: string }>;
  const byIntent = new Map<string, string[]>();
  for (const r of banking) byIntent.set(r.category, [...(byIntent.get(r.category) ?? []), r.text]);
  const intents = [...byIntent.keys()].sort();
  const replies = [
    'Let me check that for you.',
    'Sure, one moment.',
    'Is there anything else?',
    'Done.',
    'Sorry about that.',
  ];
  const rand = rng(77);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  const yearStart = Date.UTC(2025, 0, 1);
  const year = 365 * 24 * 3600 * 1000;
  const out = createWriteStream(file);
  let turns = 0;
  let buffer: string[] = [];
  for (let c = 0; c < CONVERSATIONS; c++) {
    // Paired lengths 10 +/- d keep the total at exactly 10 turns per conversation on average.
    const d = c % 2 === 0 ? Math.floor(rand() * 17) - 8 : -lastD;
    lastD = d;
    const length = 10 + d;
    let ts = yearStart + Math.floor(rand() * (year - 3_600_000));
    let intent = pick(intents);
    for (let i = 0; i < length; i++) {
      const user = i % 2 === 0;
      if (user && i > 0 && rand() < 0.4) intent = pick(intents);
      const row = user
        ? { conversation_id: `c${c}`, speaker: 'user', text: pick(byIntent.get(intent)!), intent, timestamp: ts }
        : { conversation_id: `c${c}`, speaker: 'bot', text: pick(replies), timestamp: ts };
      buffer.push(JSON.stringify(row));
      ts += 5_000 + Math.floor(rand() * 55_000);
      turns++;
    }
    if (buffer.length >= 10_000) {
      if (!out.write(buffer.join('\n') + '\n')) await new Promise<void>((r) => out.once('drain', () => r()));
      buffer = [];
    }
  }
  out.write(buffer.length ? buffer.join('\n') + '\n' : '');
  await new Promise((r) => out.end(r));
  return { turns, intents: intents.length };
}
let lastD = 0;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function main() {
  // KEEP_DIR=<folder> keeps the generated database there for inspection (and reuses it if present).
  const keep = process.env.KEEP_DIR;
  const dir = keep ?? mkdtempSync(path.join(tmpdir(), 'chatlab-bench-analytics-'));
  try {
    const logFile = path.join(dir, 'log.jsonl');
    let t = performance.now();
    const log = await writeLog(logFile);
    console.log(
      `generated ${log.turns} turns, ${CONVERSATIONS} conversations, ${log.intents} intents in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );

    const settings = loadSettings({
      cwd: dir,
      env: { LOG_LEVEL: 'silent' },
      configFile: path.join(dir, 'config.json'),
    });
    const lab = await openLab(settings);
    t = performance.now();
    const { dataset } = await ingestDataset(lab, { type: 'jsonl', path: logFile, name: 'bench-log' });
    const ingestS = (performance.now() - t) / 1000;
    console.log(
      `ingested (real ingestion, VADER included) in ${ingestS.toFixed(1)} s: ${Math.round(log.turns / ingestS)} turns/s`,
    );
    // Prediction confidences without a classifier: a fixed pseudo-random value per user turn.
    await sql`update turns set confidence = ((id * 7919) % 1000) / 1000.0 where speaker = 'USER'`.execute(
      lab.db.kysely,
    );
    // That UPDATE bypassed the writers that keep the analytics rollups: rebuild them.
    t = performance.now();
    await rebuildRollups(lab, { datasetId: dataset.id });
    const rollupS = (performance.now() - t) / 1000;
    console.log(`rollups rebuilt in ${rollupS.toFixed(1)} s`);
    lab.db.sqlite!.exec('analyze');

    const app = await buildApp(lab);
    await app.ready();
    const endpoints = ['overview', 'intents', 'flows', 'fallback', 'sessions', 'sentiment'];
    const rows: Array<Record<string, string | number>> = [];
    const figures: Record<string, number> = {};
    for (const granularity of ['day', 'month']) {
      for (const kind of endpoints) {
        if (granularity === 'month' && kind === 'overview') continue;
        const url = `/analytics/${kind}?dataset=${dataset.id}&granularity=${granularity}`;
        const times: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          times.push(
            await time(async () => {
              const res = await app.inject({ method: 'GET', url });
              if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
            }),
          );
        }
        const m = median(times);
        figures[`${kind}_${granularity}_ms`] = Math.round(m);
        // The same answer from the raw turns (the domain function, rollups bypassed): before/after.
        const filters = parseFilters({ dataset: dataset.id, granularity });
        const rawTimes: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          rawTimes.push(await time(() => runAnalytics(lab, kind as AnalyticsKind, filters, { raw: true })));
        }
        figures[`${kind}_${granularity}_raw_ms`] = Math.round(median(rawTimes));
        rows.push({
          endpoint: `GET /analytics/${kind}`,
          granularity,
          median_ms: Math.round(m),
          min_ms: Math.round(Math.min(...times)),
          raw_turns_ms: Math.round(median(rawTimes)),
          goal: m <= GOAL_MS ? 'met' : `+${Math.round(m - GOAL_MS)} ms`,
        });
      }
    }
    // The reference: the simplest aggregation over the same rows, straight on the database.
    const raw: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      raw.push(
        await time(() =>
          sql`select intent, count(*) from turns where dataset_id = ${dataset.id} group by intent`.execute(
            lab.db.kysely,
          ),
        ),
      );
    }
    const rawCount: number[] = [];
    for (let i = 0; i < RUNS; i++)
      rawCount.push(await time(() => sql`select count(*) from turns`.execute(lab.db.kysely)));
    figures.raw_group_by_intent_ms = Math.round(median(raw));
    figures.raw_count_ms = Math.round(median(rawCount));
    rows.push({
      endpoint: 'raw SELECT intent, count(*) ... GROUP BY intent',
      granularity: '-',
      median_ms: figures.raw_group_by_intent_ms,
      min_ms: Math.round(Math.min(...raw)),
      raw_turns_ms: '-',
      goal: '(reference)',
    });
    rows.push({
      endpoint: 'raw SELECT count(*) FROM turns',
      granularity: '-',
      median_ms: figures.raw_count_ms,
      min_ms: Math.round(Math.min(...rawCount)),
      raw_turns_ms: '-',
      goal: '(reference)',
    });
    printTable(rows);
    const slowest = Math.max(
      ...Object.entries(figures)
        .filter(([k]) => !k.startsWith('raw') && !k.endsWith('_raw_ms'))
        .map(([, v]) => v),
    );
    console.log(
      slowest <= GOAL_MS
        ? `goal met: every endpoint <= ${GOAL_MS} ms (slowest ${slowest} ms)`
        : `goal missed: slowest endpoint ${slowest} ms, ${slowest - GOAL_MS} ms over ${GOAL_MS} ms`,
    );
    const file = writeResult('analytics', {
      turns: log.turns,
      conversations: CONVERSATIONS,
      intents: log.intents,
      ingest_s: Number(ingestS.toFixed(1)),
      rollup_rebuild_s: Number(rollupS.toFixed(1)),
      runs: RUNS,
      goal_ms: GOAL_MS,
      slowest_ms: slowest,
      ...figures,
    });
    console.log(`wrote ${file}`);
    await app.close();
    await lab.db.close();
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
