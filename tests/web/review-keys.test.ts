import { describe, expect, it } from 'vitest';
import { decisionForKey } from '../../web/src/lib/review.js';
import type { QueueItem } from '../../web/src/lib/types.js';

const item: QueueItem = {
  turn_id: 7,
  conversation_id: 1,
  text: 'where is my card',
  given_intent: null,
  predicted_intent: 'card_arrival',
  confidence: 0.4,
  margin: 0.05,
  top: [
    { intent: 'card_arrival', confidence: 0.4 },
    { intent: 'lost_or_stolen_card', confidence: 0.35 },
  ],
  group_size: 1,
  group_turn_ids: [7],
  score: 0.4,
};

describe('review keyboard shortcuts', () => {
  it('maps 1/2/3, a, o, s to decisions and ignores other keys', () => {
    expect(decisionForKey('1', item)).toEqual({ decision: 'accept' });
    expect(decisionForKey('2', item)).toEqual({ decision: 'correct', intent: 'lost_or_stolen_card' });
    expect(decisionForKey('3', item)).toBeNull(); // only two intents stored
    expect(decisionForKey('a', item)).toEqual({ decision: 'accept' });
    expect(decisionForKey('o', item)).toEqual({ decision: 'oos' });
    expect(decisionForKey('s', item)).toEqual({ decision: 'skip' });
    expect(decisionForKey('x', item)).toBeNull();
    expect(decisionForKey('/', item)).toBeNull();
  });
});
