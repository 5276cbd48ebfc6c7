import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { labelTurns, type Predictor } from '../../src/analytics/label.js';
import type { LabContext } from '../../src/lab/context.js';
import { ingestDataset } from '../../src/datasets/ingest.js';

/**
 * A small log whose queue order is known by hand. Near-duplicate groups: {1, 2} (case and
 * punctuation) and {5, 6} (numbers). Given labels on 3, 4 and 7; 4 and 7 disagree with the model.
 */
export const reviewLog = [
  { conversation_id: 'A', speaker: 'user', text: 'where is my card', timestamp: '2025-03-01T10:00:00Z' },
  { conversation_id: 'A', speaker: 'bot', text: 'Let me check.', timestamp: '2025-03-01T10:00:05Z' },
  { conversation_id: 'A', speaker: 'user', text: 'Where is my card?', timestamp: '2025-03-01T10:01:00Z' },
  {
    conversation_id: 'B',
    speaker: 'user',
    text: 'what is my balance',
    intent: 'balance',
    timestamp: '2025-03-02T10:00:00Z',
  },
  {
    conversation_id: 'B',
    speaker: 'user',
    text: 'I lost my card',
    intent: 'lost_card',
    timestamp: '2025-03-02T10:01:00Z',
  },
  { conversation_id: 'C', speaker: 'user', text: 'transfer 50 to savings', timestamp: '2025-03-03T10:00:00Z' },
  { conversation_id: 'C', speaker: 'user', text: 'transfer 20 to savings', timestamp: '2025-03-03T10:01:00Z' },
  {
    conversation_id: 'D',
    speaker: 'user',
    text: "what's the weather",
    intent: 'out_of_scope',
    timestamp: '2025-03-04T10:00:00Z',
  },
];

/** Per text: the top-3 the stub classifier answers. */
export const reviewAnswers = new Map<string, Array<[string, number]>>([
  [
    'where is my card',
    [
      ['card_arrival', 0.3],
      ['lost_card', 0.28],
      ['balance', 0.1],
    ],
  ],
  [
    'Where is my card?',
    [
      ['card_arrival', 0.35],
      ['lost_card', 0.3],
      ['balance', 0.1],
    ],
  ],
  [
    'what is my balance',
    [
      ['balance', 0.95],
      ['transfer', 0.03],
      ['lost_card', 0.01],
    ],
  ],
  [
    'I lost my card',
    [
      ['card_arrival', 0.6],
      ['lost_card', 0.35],
      ['balance', 0.02],
    ],
  ],
  [
    'transfer 50 to savings',
    [
      ['transfer', 0.45],
      ['balance', 0.05],
      ['lost_card', 0.01],
    ],
  ],
  [
    'transfer 20 to savings',
    [
      ['transfer', 0.55],
      ['balance', 0.2],
      ['lost_card', 0.01],
    ],
  ],
  [
    "what's the weather",
    [
      ['balance', 0.8],
      ['transfer', 0.1],
      ['lost_card', 0.05],
    ],
  ],
]);

export const reviewPredictor: Predictor = {
  modelVersion: 'stub@1',
  labels: ['balance', 'card_arrival', 'lost_card', 'transfer'],
  threshold: 0.5,
  predict(texts) {
    return texts.map((t) => {
      const top = reviewAnswers.get(t);
      if (!top) throw new Error(`stub has no answer for ${t}`);
      return {
        intent: top[0]![0],
        confidence: top[0]![1],
        top: top.map(([intent, confidence]) => ({ intent, confidence })),
      };
    });
  },
};

/** Ingests the log, labels it with the stub; returns the dataset id and turn ids by log line (1-based, user turns). */
export async function ingestReviewLog(
  lab: LabContext,
  dir: string,
  name = 'review-log',
): Promise<{ dataset: number; turn: (text: string) => Promise<number> }> {
  const file = path.join(dir, `${name}.jsonl`);
  writeFileSync(file, reviewLog.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const { dataset } = await ingestDataset(lab, { type: 'jsonl', path: file, name });
  await labelTurns(lab, { datasetId: dataset.id }, { predictor: reviewPredictor });
  const turn = async (text: string) =>
    Number(
      (
        await lab.db.kysely
          .selectFrom('turns')
          .select('id')
          .where('dataset_id', '=', dataset.id)
          .where('text', '=', text)
          .executeTakeFirstOrThrow()
      ).id,
    );
  return { dataset: dataset.id, turn };
}
