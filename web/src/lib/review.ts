/** Shapes of the review and improvement-loop API answers (see src/review and src/improve). */

export interface TopIntent {
  intent: string;
  confidence: number;
}

export interface QueueItem {
  turn_id: number;
  conversation_id: number;
  text: string;
  given_intent: string | null;
  predicted_intent: string;
  confidence: number;
  margin: number;
  top: TopIntent[];
  group_size: number;
  group_turn_ids: number[];
}

export interface ReviewQueue {
  dataset: { id: number; name: string };
  strategy: string;
  threshold: number;
  groups: number;
  turns: number;
  items: QueueItem[];
}

export interface Estimate {
  judged: number;
  correct: number;
  accuracy: number | null;
  ci95: { low: number; high: number } | null;
}

export interface ReviewStats {
  total: number;
  reviewed: number;
  skipped: number;
  pending: number;
  accuracy: Estimate;
  per_intent: Array<Estimate & { intent: string }>;
}

export type DecisionBody =
  { decision: 'accept' | 'oos' | 'skip' } | { decision: 'correct' | 'new_intent'; intent: string };

export interface PromoteCheck {
  candidate: { version: number; model_type: string; aliases: string[] };
  baseline: { version: number; model_type: string; aliases: string[] };
  dataset: { id: number; name: string; version: number };
  held_out: { test_examples: number; reviewed_turns: number; total: number };
  metrics: Record<'accuracy' | 'macro_f1', { baseline: number; candidate: number; delta: number }>;
  mcnemar: { b: number; c: number; method: string; p_value: number; significant: boolean };
  intent_f1_deltas: Array<{ intent: string; support: number; baseline: number; candidate: number; delta: number }>;
  verdict: 'promote' | 'hold' | 'regressed';
  reasons: string[];
  alias: string;
  applied: boolean;
}

/**
 * What a key press means on the review card, or null when the key is not a shortcut:
 * 1/2/3 pick a top-3 intent (accept when it is the prediction), a accept, o out of scope, s skip.
 */
export function decisionForKey(key: string, item: QueueItem): DecisionBody | null {
  if (key === 'a') return { decision: 'accept' };
  if (key === 'o') return { decision: 'oos' };
  if (key === 's') return { decision: 'skip' };
  const pick = ['1', '2', '3'].indexOf(key);
  if (pick >= 0) {
    const choice = item.top[pick];
    if (!choice) return null;
    return choice.intent === item.predicted_intent
      ? { decision: 'accept' }
      : { decision: 'correct', intent: choice.intent };
  }
  return null;
}
