import { parseFilters, runAnalytics } from '../src/analytics/index.js';
import { openDb } from '../src/db/connection.js';
const db = openDb(process.argv[2]!);
const lab = { db } as never;
const f = parseFilters({ dataset: 1, granularity: 'day', intent: 'card_arrival' });
for (const kind of process.argv.slice(3)) { for (let i = 0; i < 3; i++) { const t = performance.now(); await runAnalytics(lab, kind as never, f); console.log(kind, (performance.now() - t).toFixed(1)); } }
await db.close();
