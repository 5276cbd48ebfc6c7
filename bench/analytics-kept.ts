/**
 * Re-times the analytics endpoints on the databases a previous `bench/analytics` run kept
 * (`KEEP_DIR=<folder> npm run bench -- analytics --pg` prints the PostgreSQL database it kept):
 * each endpoint's domain function, SQLite and PostgreSQL alternately (so both see the same machine
 * load), median of 5, with the PostgreSQL/SQLite ratio. A quick loop for query changes: no
 * ingestion, no HTTP layer.
 *
 *   npx tsx bench/analytics-kept.ts <KEEP_DIR>/sqlite/lab.db postgres://…/chatlab_bench_<pid> [kinds|all] [day,month]
 */
import os from 'node:os';
import { ANALYTICS_KINDS, parseFilters, runAnalytics } from '../src/analytics/index.js';
import type { LabContext } from '../src/lab/context.js';
import { openDb } from '../src/db/connection.js';
import { median } from './harness.js';

const [sqliteFile, pgUrl, kinds = 'all', granularities = 'day,month'] = process.argv.slice(2);
if (!sqliteFile || !pgUrl)
  throw new Error('usage: analytics-kept.ts <sqlite file> <postgres url> [kinds|all] [day,month]');
// Only the database is read: the analytics functions need nothing else from the lab.
const lab = (url: string) => ({ db: openDb(url) }) as LabContext;
const engines = [lab(`sqlite:${sqliteFile}`), lab(pgUrl)] as const;
const load = () =>
  `load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`;
console.log(load());
for (const granularity of granularities.split(','))
  for (const intent of [undefined, 'card_arrival'])
    for (const kind of ANALYTICS_KINDS) {
      if (kinds !== 'all' && !kinds.split(',').includes(kind)) continue;
      const filters = parseFilters({ dataset: 1, granularity, ...(intent ? { intent } : {}) });
      const times: [number[], number[]] = [[], []];
      for (const e of engines) await runAnalytics(e, kind, filters); // warm-up
      for (let i = 0; i < 5; i++)
        for (const [k, e] of engines.entries()) {
          const t = performance.now();
          await runAnalytics(e, kind, filters);
          times[k]!.push(performance.now() - t);
        }
      const [s, p] = times.map(median) as [number, number];
      console.log(
        `${kind.padEnd(9)} ${granularity.padEnd(5)} ${(intent ?? '-').padEnd(12)} sqlite ${s.toFixed(1).padStart(7)} ms` +
          `  postgres ${p.toFixed(1).padStart(7)} ms  ${(p / s).toFixed(2)}x`,
      );
    }
console.log(load());
for (const e of engines) await e.db.close();
