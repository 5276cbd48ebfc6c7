import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where each benchmark writes its figures: bench/results/<name>.json. */
export const resultsDir = path.resolve(import.meta.dirname, 'results');

export interface BenchResult {
  name: string;
  machine: { cpus: number; cpu: string; memory_gb: number; node: string };
  started_at: string;
  figures: unknown;
}

/** Writes the result file and returns its path; every benchmark ends with this. */
export function writeResult(name: string, figures: unknown): string {
  mkdirSync(resultsDir, { recursive: true });
  const result: BenchResult = {
    name,
    machine: {
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      memory_gb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
    },
    started_at: new Date().toISOString(),
    figures,
  };
  const file = path.join(resultsDir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

/** Median of a list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Prints rows as an aligned text table. */
export function printTable(rows: Array<Record<string, string | number>>): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (cells: string[]) => cells.map((v, i) => v.padEnd(widths[i]!)).join('  ');
  console.log(line(cols));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => String(r[c] ?? ''))));
}
