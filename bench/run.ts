/**
 * Runs the benchmarks: `npm run bench` runs all of them, `npm run bench -- ingest` one.
 * Each benchmark is a script `bench/<name>.bench.ts` that prints its figures and writes
 * bench/results/<name>.json through `writeResult`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const here = import.meta.dirname;
const available = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''))
  .sort();
// Arguments starting with -- are flags for the benchmark scripts (e.g. `-- analytics --pg`).
const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ') || '(none yet)'}`);
  process.exit(2);
}
const names = wanted.length > 0 ? wanted : available;
if (names.length === 0) console.log('no benchmarks yet: add bench/<name>.bench.ts');
let failed = 0;
for (const name of names) {
  console.log(`\n== bench ${name}`);
  const tsx = path.resolve(here, '../node_modules/.bin/tsx');
  const res = spawnSync(tsx, [path.join(here, `${name}.bench.ts`), ...flags], { stdio: 'inherit' });
  if (res.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
