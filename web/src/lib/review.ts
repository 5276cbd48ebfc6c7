/** The review card's keyboard shortcuts (the API's shapes come from src/api/contracts via ./types). */
import type { DecisionInput, QueueItem } from './types.js';

/** What the dashboard posts to /review/decisions, less the turn it is about. */
export type DecisionBody = Pick<DecisionInput, 'decision' | 'intent'>;

/**
 * What a key press means on the review card, or null when the key is not a shortcut:
 * 1/2/3 pick a top-3 intent (accept when it is the prediction), a accept, o out of scope, s skip.
 */
export function decisionForKey(key: string, item: Pick<QueueItem, 'top' | 'predicted_intent'>): DecisionBody | null {
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
