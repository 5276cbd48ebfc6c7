import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Predictor } from '../../src/analytics/label.js';
import type { LabContext } from '../../src/lab/context.js';
import { ingestDataset } from '../../src/datasets/ingest.js';

/**
 * A small timestamped log whose every figure is known by hand (see the expectations in
 * crafted.test.ts). Unlabelled USER turns: B1, D4, E1; the stub classifier below labels them.
 */
export const craftedLog = [
  {
    conversation_id: 'A',
    speaker: 'user',
    text: 'I want to check my balance',
    intent: 'check_balance',
    timestamp: '2025-01-06T10:00:00Z',
  },
  { conversation_id: 'A', speaker: 'bot', text: 'Sure, one moment.', timestamp: '2025-01-06T10:00:05Z' },
  {
    conversation_id: 'A',
    speaker: 'user',
    text: 'and transfer money',
    intent: 'transfer',
    timestamp: '2025-01-06T10:01:00Z',
  },
  { conversation_id: 'A', speaker: 'bot', text: 'Done.', timestamp: '2025-01-06T10:01:10Z' },
  { conversation_id: 'B', speaker: 'user', text: 'this is terrible, I hate it', timestamp: '2025-01-06T11:30:00Z' },
  { conversation_id: 'B', speaker: 'bot', text: 'Sorry to hear that.', timestamp: '2025-01-06T11:30:10Z' },
  {
    conversation_id: 'B',
    speaker: 'user',
    text: 'cancel my card',
    intent: 'cancel_card',
    timestamp: '2025-01-06T11:32:00Z',
  },
  {
    conversation_id: 'C',
    speaker: 'user',
    text: "what's the weather",
    intent: 'out_of_scope',
    timestamp: '2025-01-08T09:00:00Z',
  },
  {
    conversation_id: 'C',
    speaker: 'user',
    text: 'check balance please',
    intent: 'check_balance',
    timestamp: '2025-01-08T09:00:30Z',
  },
  {
    conversation_id: 'D',
    speaker: 'user',
    text: 'I love this, thank you',
    intent: 'thanks',
    timestamp: '2025-02-03T12:00:00Z',
  },
  {
    conversation_id: 'D',
    speaker: 'user',
    text: 'transfer 50 to savings',
    intent: 'transfer',
    timestamp: '2025-02-03T12:05:00Z',
  },
  { conversation_id: 'D', speaker: 'bot', text: 'Transferred.', timestamp: '2025-02-03T12:05:10Z' },
  { conversation_id: 'D', speaker: 'user', text: 'bye', timestamp: '2025-02-03T12:06:00Z' },
  { conversation_id: 'E', speaker: 'user', text: 'help', timestamp: '2025-02-10T08:00:00Z' },
];

/** The stub classifier's answer per text: [predicted intent, confidence]. Threshold 0.5. */
export const stubAnswers: Record<string, [string, number]> = {
  'I want to check my balance': ['check_balance', 0.9],
  'and transfer money': ['transfer', 0.2],
  'this is terrible, I hate it': ['complaint', 0.45],
  'cancel my card': ['cancel_card', 0.5],
  "what's the weather": ['check_balance', 0.9],
  'check balance please': ['check_balance', 0.7],
  'I love this, thank you': ['thanks', 0.1],
  'transfer 50 to savings': ['transfer', 0.95],
  bye: ['goodbye', 0.3],
  help: ['help', 0.8],
};

export const stubPredictor: Predictor = {
  modelVersion: 'stub@1',
  labels: ['cancel_card', 'check_balance', 'complaint', 'goodbye', 'help', 'thanks', 'transfer'],
  threshold: 0.5,
  predict(texts) {
    return texts.map((t) => {
      const answer = stubAnswers[t];
      if (!answer) throw new Error(`stub has no answer for ${t}`);
      return { intent: answer[0], confidence: answer[1], fallback: answer[1] < 0.5 };
    });
  },
};

/** Writes the crafted log as JSON Lines in `dir` and ingests it; returns the dataset id. */
export async function ingestCraftedLog(lab: LabContext, dir: string, name = 'crafted'): Promise<number> {
  const file = path.join(dir, `${name}.jsonl`);
  writeFileSync(file, craftedLog.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const { dataset } = await ingestDataset(lab, { type: 'jsonl', path: file, name });
  return dataset.id;
}
