import vader from 'vader-sentiment';

/**
 * VADER compound sentiment in [-1, 1]. The JavaScript port costs ~10-80 µs per utterance, and
 * chatbot logs repeat the same user texts often ("yes", "thanks", menu choices), so results are
 * memoised in a bounded map.
 */
const CACHE_LIMIT = 50_000;
const cache = new Map<string, number>();

export function sentimentOf(text: string): number {
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  const score = text.trim() === '' ? 0 : vader.SentimentIntensityAnalyzer.polarity_scores(text).compound;
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(text, score);
  return score;
}
