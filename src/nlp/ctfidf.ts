/**
 * Class-based TF-IDF (c-TF-IDF, as BERTopic names clusters): all texts of a class form one
 * document; a term's weight in class c is its L1-normalised frequency in c times
 * log(1 + A / f_t), with A the mean number of terms per class and f_t the term's frequency over
 * all classes. Terms frequent in one class and rare elsewhere rank first.
 */
import { words } from './tokenize.js';

/** Words that say nothing about an intent (articles, pronouns, auxiliaries, politeness). */
const STOP_WORDS = new Set(
  (
    'a an the and or but if of to in on at by for with from as is am are was were be been being do does did ' +
    'have has had i me my mine we our us you your it its this that these those there here what which who whom ' +
    'how why when where can could would should will shall may might must not no yes so too very just ' +
    "please thanks thank hi hello hey get got im i'm i've i'd i'll it's don't doesn't didn't can't cannot " +
    'about any some all also up out into than then them they their he she his her him one still'
  ).split(/\s+/),
);

/** Content terms of a text: non-stop words and the bigrams of consecutive content words. */
export function contentTerms(text: string): string[] {
  const tokens = words(text).filter((w) => !STOP_WORDS.has(w) && !/^\d+$/.test(w) && w.length > 1);
  const out = [...tokens];
  for (let i = 0; i + 1 < tokens.length; i++) out.push(`${tokens[i]} ${tokens[i + 1]}`);
  return out;
}

export interface ClassTerms {
  term: string;
  weight: number;
}

/**
 * The `top` most distinctive terms of each class. `classOf[i]` is the class of `texts[i]`
 * (any integer; pass noise as a class of its own so its words count as "elsewhere").
 */
export function classTfidf(texts: string[], classOf: ArrayLike<number>, top = 5): Map<number, ClassTerms[]> {
  const counts = new Map<number, Map<string, number>>();
  const overall = new Map<string, number>();
  texts.forEach((text, i) => {
    const c = classOf[i]!;
    let tf = counts.get(c);
    if (!tf) counts.set(c, (tf = new Map()));
    for (const t of contentTerms(text)) {
      tf.set(t, (tf.get(t) ?? 0) + 1);
      overall.set(t, (overall.get(t) ?? 0) + 1);
    }
  });
  let totalTerms = 0;
  for (const tf of counts.values()) for (const v of tf.values()) totalTerms += v;
  const avg = counts.size > 0 ? totalTerms / counts.size : 0;
  const result = new Map<number, ClassTerms[]>();
  for (const [c, tf] of counts) {
    const classTotal = [...tf.values()].reduce((s, v) => s + v, 0);
    const scored = [...tf].map(([term, v]) => ({
      term,
      weight: (v / classTotal) * Math.log(1 + avg / overall.get(term)!),
    }));
    scored.sort((a, b) => b.weight - a.weight || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0));
    result.set(c, scored.slice(0, top));
  }
  return result;
}

/**
 * An intent-style name from ranked terms: up to `maxWords` distinct words in rank order joined by
 * `_` (a bigram contributes both its words), e.g. ["card arrive", "card", "delivery"] →
 * "card_arrive_delivery". Terms under half the top weight are left out: a weak third word makes a
 * name longer, not clearer.
 */
export function suggestName(terms: ClassTerms[], maxWords = 3): string {
  const picked: string[] = [];
  const floor = (terms[0]?.weight ?? 0) / 2;
  for (const { term, weight } of terms) {
    if (weight < floor) break;
    for (const w of term.split(' ')) {
      const clean = w.replace(/[^\p{L}\p{N}]+/gu, '');
      if (clean && !picked.includes(clean) && picked.length < maxWords) picked.push(clean);
    }
    if (picked.length >= maxWords) break;
  }
  return picked.join('_') || 'cluster';
}
