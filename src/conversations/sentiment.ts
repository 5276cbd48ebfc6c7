import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import vader from 'vader-sentiment';

/**
 * VADER compound sentiment in [-1, 1] (the `vader-sentiment` package, unchanged rules and lexicon).
 *
 * Why the patch below: the package's tokenizer builds, for every call, a dictionary of
 * 17 punctuation marks x every word in both orders (~340 string keys for a 10-word text) only to
 * look up the text's own tokens in it; that is ~75 % of its time (~80 µs per utterance here). We
 * load the same bundle with that one call replaced by a direct check of each token against the
 * same punctuation list and word set, which yields the same mapping. tests/conversations check
 * the scores are identical to the unpatched package on BANKING77 test and SGD test utterances. If the
 * bundle ever changes shape, the unpatched analyzer is used.
 */
type Analyzer = typeof vader.SentimentIntensityAnalyzer;

const NEEDLE = 's=this.get_words_plus_punc()';

/** The package tokenizer's mapping {"cat,": "cat", ",cat": "cat"}, restricted to the tokens present. */
function punctuationMap(text: string, tokens: string[], removePunctuation: RegExp, puncList: string[]) {
  const words = new Set(
    text
      .replace(removePunctuation, '')
      .split(/\s/)
      .filter((w) => w.length > 1),
  );
  // A plain object on purpose: the package calls `map.hasOwnProperty(token)`. Every key starts or
  // ends with punctuation, so none can be an Object.prototype name.
  // eslint-disable-next-line no-restricted-syntax
  const map: Record<string, string> = {};
  for (const token of tokens) {
    if (token.length < 3) continue;
    for (const p of puncList) {
      if (token.length <= p.length) continue;
      const after = token.startsWith(p) ? token.slice(p.length) : undefined;
      if (after !== undefined && words.has(after)) map[token] = after;
      const before = token.endsWith(p) ? token.slice(0, -p.length) : undefined;
      if (before !== undefined && words.has(before)) map[token] = before;
    }
  }
  return map;
}

function loadFastAnalyzer(): Analyzer {
  try {
    const require = createRequire(import.meta.url);
    const source = readFileSync(require.resolve('vader-sentiment'), 'utf8');
    if (source.split(NEEDLE).length !== 2) return vader.SentimentIntensityAnalyzer;
    // `e` is the token list, `u` and `c` the bundle's own punctuation regex and list.
    const patched = source.replace(NEEDLE, 's=__punctuationMap(this.text,e,u,c)');
    const module = { exports: {} as { SentimentIntensityAnalyzer?: Analyzer } };
    new Function('exports', 'module', 'require', '__punctuationMap', patched)(
      module.exports,
      module,
      require,
      punctuationMap,
    );
    return module.exports.SentimentIntensityAnalyzer ?? vader.SentimentIntensityAnalyzer;
  } catch {
    return vader.SentimentIntensityAnalyzer;
  }
}

const analyzer = loadFastAnalyzer();

/** The package as published, for the parity test and the benchmark. */
export const referenceAnalyzer: Analyzer = vader.SentimentIntensityAnalyzer;

/** Chatbot logs repeat user texts ("yes", "thanks", menu choices): results are memoised, bounded. */
const CACHE_LIMIT = 50_000;
const cache = new Map<string, number>();

export function sentimentOf(text: string): number {
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  const score = text.trim() === '' ? 0 : analyzer.polarity_scores(text).compound;
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(text, score);
  return score;
}

/** Whether the faster tokenizer is active (false only if the package's bundle changed shape). */
export const fastSentiment = analyzer !== vader.SentimentIntensityAnalyzer;
