import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LabContext } from '../../src/lab/context.js';
import { ingestDataset } from '../../src/datasets/ingest.js';

/**
 * A crafted log: three kinds of requests the bot does not know (low confidence), written a few
 * ways each, among confidently understood turns of two known intents. Predictions are stored as
 * `chatlab analyze` would store them.
 */
export const UNKNOWN = {
  crypto: [
    'can I buy bitcoin in the app',
    'do you support bitcoin purchases',
    'how do I buy crypto currency',
    'I want to purchase bitcoin',
    'is buying ethereum possible',
    'can I trade crypto here',
    'buy bitcoin with my balance',
    'where can I buy cryptocurrency',
  ],
  mortgage: [
    'can I apply for a mortgage',
    'do you offer home loans',
    'I need a mortgage for my house',
    'what are your mortgage rates',
    'how do I get a home loan',
    'mortgage application for a new flat',
    'are mortgages available to customers',
    'apply for a house loan',
  ],
  pets: [
    'can I add my dog to the insurance',
    'do you have pet insurance',
    'insurance for my cat',
    'how much is pet insurance',
    'cover my puppy with insurance',
    'is there insurance for animals',
    'pet cover for my dog',
    'my cat needs insurance',
  ],
};
export const KNOWN = {
  card_arrival: [
    'my card has not arrived',
    'where is my new card',
    'card still not delivered',
    'when will my card come',
  ],
  change_pin: ['how do I change my pin', 'I want a new pin', 'change the pin of my card', 'reset my pin number'],
};

export async function seedCraftedLog(lab: LabContext, dir: string, labelled: boolean): Promise<number> {
  const lines: string[] = [];
  const predictions: Array<[string, string, number]> = [];
  let n = 0;
  const day = Date.UTC(2026, 0, 5);
  for (const texts of Object.values(UNKNOWN)) {
    for (const text of texts) {
      lines.push(JSON.stringify({ conversation_id: `c${n}`, speaker: 'user', text, timestamp: day + n * 3_600_000 }));
      predictions.push([text, 'card_arrival', 0.2]);
      n++;
    }
  }
  for (const [intent, texts] of Object.entries(KNOWN)) {
    for (const text of texts) {
      lines.push(JSON.stringify({ conversation_id: `c${n}`, speaker: 'user', text, timestamp: day + n * 3_600_000 }));
      predictions.push([text, intent, 0.95]);
      n++;
    }
  }
  const file = path.join(dir, `log-${labelled}.jsonl`);
  writeFileSync(file, lines.join('\n'));
  const { dataset } = await ingestDataset(lab, { type: 'jsonl', path: file, name: `log-${labelled}` });
  if (labelled) {
    for (const [text, intent, confidence] of predictions) {
      await lab.db.kysely
        .updateTable('turns')
        .set({ predicted_intent: intent, confidence })
        .where('dataset_id', '=', dataset.id)
        .where('text', '=', text)
        .execute();
    }
  }
  return dataset.id;
}
