/**
 * A real BANKING77 subset (10 intents, capped per intent, so tfidf-linear trains in well under a
 * second), ingested like a user's data.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { ingestDataset } from '../../src/datasets/ingest.js';
import type { LabContext } from '../../src/lab/context.js';

/** `../shared/datasets` beside the repository, or beside a folder above it (a git worktree). */
function sharedDatasetsDir(): string {
  for (let dir = path.resolve(import.meta.dirname, '../..'); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(path.dirname(dir), 'shared', 'datasets');
    if (existsSync(candidate)) return candidate;
  }
  return path.resolve(import.meta.dirname, '../../../shared/datasets');
}

export const banking77Dir = path.join(sharedDatasetsDir(), 'banking77');

export const SUBSET_INTENTS = [
  'activate_my_card',
  'age_limit',
  'apple_pay_or_google_pay',
  'atm_support',
  'card_arrival',
  'card_payment_fee_charged',
  'cash_withdrawal_charge',
  'change_pin',
  'exchange_rate',
  'lost_or_stolen_card',
];

function readSplit(file: string, intents: string[], cap: number): Array<{ text: string; category: string }> {
  const rows = parse(readFileSync(path.join(banking77Dir, file), 'utf8'), { columns: true }) as Array<{
    text: string;
    category: string;
  }>;
  const counts = new Map<string, number>();
  return rows.filter((r) => {
    if (!intents.includes(r.category)) return false;
    const n = counts.get(r.category) ?? 0;
    counts.set(r.category, n + 1);
    return n < cap;
  });
}

export interface SeedOptions {
  name?: string;
  intents?: string[];
  trainPerIntent?: number;
  testPerIntent?: number;
  /** Extra labelled training rows, e.g. a deliberately mislabelled one. */
  extraTrain?: Array<{ text: string; label: string }>;
}

/** Writes the subset in the publisher's layout and ingests it through the datasets code. */
export async function seedBanking77(lab: LabContext & { dir: string }, options: SeedOptions = {}): Promise<number> {
  const intents = options.intents ?? SUBSET_INTENTS;
  const name = options.name ?? 'banking77-subset';
  const train = readSplit('train.csv', intents, options.trainPerIntent ?? 60).map((r) => ({
    text: r.text,
    category: r.category,
  }));
  for (const extra of options.extraTrain ?? []) train.push({ text: extra.text, category: extra.label });
  const test = readSplit('test.csv', intents, options.testPerIntent ?? 20);
  const folder = path.join(lab.dir, `seed-${name}`);
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'train.csv'), stringify(train, { header: true, columns: ['text', 'category'] }));
  writeFileSync(path.join(folder, 'test.csv'), stringify(test, { header: true, columns: ['text', 'category'] }));
  const { dataset } = await ingestDataset(lab, { type: 'banking77', path: folder, name });
  return dataset.id;
}
