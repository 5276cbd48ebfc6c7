/**
 * The improvement loop on real data: a BANKING77 subset of four intents is the training dataset;
 * a log holds user turns of a fifth intent the model has never seen (plus a few texts already in
 * the dataset), labelled by the model trained on the four.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { labelTurns } from '../../src/analytics/label.js';
import type { LabContext } from '../../src/lab/context.js';
import { ingestDataset } from '../../src/datasets/ingest.js';
import { banking77Dir, seedBanking77 } from '../training/support.js';

export const KNOWN = ['card_arrival', 'change_pin', 'exchange_rate', 'lost_or_stolen_card'];
export const NEW_INTENT = 'apple_pay_or_google_pay';

function rows(file: string, intent: string, cap: number): string[] {
  const all = parse(readFileSync(path.join(banking77Dir, file), 'utf8'), { columns: true }) as Array<{
    text: string;
    category: string;
  }>;
  return all
    .filter((r) => r.category === intent)
    .slice(0, cap)
    .map((r) => r.text);
}

export interface LoopFixture {
  training: number;
  log: number;
  /** Turn id by text. */
  turns: Map<string, number>;
  newIntentTexts: string[];
  /** Texts of the dataset's test split that also appear in the log, with their label. */
  duplicateTexts: Array<[string, string]>;
  /** A training text of card_arrival that the log repeats. */
  conflictText: string;
}

export async function seedTrainingDataset(lab: LabContext & { dir: string }): Promise<number> {
  return seedBanking77(lab, { intents: KNOWN, trainPerIntent: 60, testPerIntent: 20 });
}

/** Writes and ingests the log, then labels it with the production model. */
export async function seedLog(
  lab: LabContext & { dir: string },
  training: number,
  name = 'support-log',
): Promise<LoopFixture> {
  const newIntentTexts = [...rows('train.csv', NEW_INTENT, 60), ...rows('test.csv', NEW_INTENT, 30)];
  const duplicateTexts: Array<[string, string]> = KNOWN.flatMap((i) =>
    rows('test.csv', i, 2).map((t) => [t, i] as [string, string]),
  );
  const conflictText = rows('train.csv', 'card_arrival', 1)[0]!;
  const texts = [
    ...newIntentTexts,
    ...duplicateTexts.map(([t]) => t),
    conflictText,
    "what's the weather like in Paris",
    'blah blah',
  ];
  const file = path.join(lab.dir, `${name}.jsonl`);
  writeFileSync(
    file,
    texts
      .map((text, i) =>
        JSON.stringify({
          conversation_id: `c${i}`,
          speaker: 'user',
          text,
          timestamp: new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString(),
        }),
      )
      .join('\n') + '\n',
  );
  const { dataset } = await ingestDataset(lab, { type: 'jsonl', path: file, name });
  await labelTurns(lab, { datasetId: dataset.id });
  const turns = new Map<string, number>();
  for (const t of await lab.db.kysely
    .selectFrom('turns')
    .select(['id', 'text'])
    .where('dataset_id', '=', dataset.id)
    .execute())
    turns.set(t.text, Number(t.id));
  return { training, log: dataset.id, turns, newIntentTexts, duplicateTexts, conflictText };
}
