import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LabContext } from '../../src/lab/context.js';

/** The real public datasets beside the repository (see ../shared/datasets/README.md). */
export const sharedDatasets = path.resolve(import.meta.dirname, '../../../shared/datasets');
export const banking77Dir = path.join(sharedDatasets, 'banking77');
export const sgdDir = path.join(sharedDatasets, 'sgd');

/** Writes a file (creating folders) and returns its path. */
export function write(dir: string, name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  return file;
}

/** Row counts of the tables ingestion writes, to prove a failure left nothing behind. */
export async function tableCounts(lab: LabContext): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ['datasets', 'examples', 'conversations', 'turns'] as const) {
    const row = await lab.db.kysely
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

export const EMPTY = { datasets: 0, examples: 0, conversations: 0, turns: 0 };

/** A CSV field, quoted when it needs to be (the tests write CSV the way publishers do). */
export function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csv(rows: string[][]): string {
  return `${rows.map((r) => r.map(csvField).join(',')).join('\n')}\n`;
}
