/**
 * TF-IDF featuriser: word 1-2-grams and character 2-5-grams within word boundaries, sublinear tf
 * (1 + ln tf), smoothed idf (ln((1+n)/(1+df)) + 1, as scikit-learn), each block L2-normalised and
 * scaled by 1/sqrt(2) so that a row has unit norm and words and characters weigh the same.
 */
import { charNgrams, wordNgrams, words } from './tokenize.js';
import { csrFromRows, type Csr } from './sparse.js';

export interface TfidfSettings {
  wordNgrams: [number, number];
  charNgrams: [number, number];
  /** Terms seen in fewer training texts are dropped. */
  minDf: number;
  /** Keep at most this many terms (the most frequent by document frequency); 0 = no limit. */
  maxFeatures: number;
  sublinearTf: boolean;
}

export const defaultTfidfSettings: TfidfSettings = {
  wordNgrams: [1, 2],
  charNgrams: [2, 5],
  minDf: 2,
  maxFeatures: 0,
  sublinearTf: true,
};

/** Terms of one text, prefixed by block ("w:" word n-gram, "c:" char n-gram). */
function terms(text: string, s: TfidfSettings): { word: string[]; char: string[] } {
  const tokens = words(text);
  return {
    word: s.wordNgrams[1] > 0 ? wordNgrams(tokens, s.wordNgrams[0], s.wordNgrams[1]).map((t) => `w:${t}`) : [],
    char: s.charNgrams[1] > 0 ? charNgrams(tokens, s.charNgrams[0], s.charNgrams[1]).map((t) => `c:${t}`) : [],
  };
}

export class TfidfVectorizer {
  private readonly index: Map<string, number>;

  constructor(
    readonly settings: TfidfSettings,
    /** Vocabulary in column order. */
    readonly vocabulary: string[],
    readonly idf: Float32Array,
  ) {
    this.index = new Map(vocabulary.map((t, i) => [t, i]));
  }

  /** Learns the vocabulary and idf from training texts. */
  static fit(texts: string[], settings: TfidfSettings): TfidfVectorizer {
    const df = new Map<string, number>();
    for (const text of texts) {
      const { word, char } = terms(text, settings);
      for (const t of new Set([...word, ...char])) df.set(t, (df.get(t) ?? 0) + 1);
    }
    let kept = [...df.entries()].filter(([, n]) => n >= settings.minDf);
    // Most frequent first, ties by term, so the vocabulary (and column order) is deterministic.
    kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    if (settings.maxFeatures > 0) kept = kept.slice(0, settings.maxFeatures);
    const n = texts.length;
    const idf = new Float32Array(kept.length);
    kept.forEach(([, d], i) => (idf[i] = Math.log((1 + n) / (1 + d)) + 1));
    return new TfidfVectorizer(settings, kept.map(([t]) => t), idf);
  }

  get size(): number {
    return this.vocabulary.length;
  }

  /** One normalised sparse row per text. */
  transform(texts: string[]): Csr {
    const rows = texts.map((text) => {
      const { word, char } = terms(text, this.settings);
      const w = this.block(word);
      const c = this.block(char);
      // Both blocks present: scale each by 1/sqrt(2) so the whole row has unit length.
      const scale = w.indices.length > 0 && c.indices.length > 0 ? Math.SQRT1_2 : 1;
      const indices = [...w.indices, ...c.indices];
      const values = [...w.values, ...c.values].map((v) => v * scale);
      const order = indices.map((_, i) => i).sort((a, b) => indices[a]! - indices[b]!);
      return { indices: order.map((i) => indices[i]!), values: order.map((i) => values[i]!) };
    });
    return csrFromRows(rows, this.size);
  }

  /** Counts -> (sublinear) tf * idf -> L2 normalised entries for one block's terms. */
  private block(termList: string[]): { indices: number[]; values: number[] } {
    const counts = new Map<number, number>();
    for (const t of termList) {
      const col = this.index.get(t);
      if (col !== undefined) counts.set(col, (counts.get(col) ?? 0) + 1);
    }
    const indices: number[] = [];
    const values: number[] = [];
    let norm = 0;
    for (const [col, count] of counts) {
      const tf = this.settings.sublinearTf ? 1 + Math.log(count) : count;
      const v = tf * this.idf[col]!;
      indices.push(col);
      values.push(v);
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    if (norm > 0) for (let i = 0; i < values.length; i++) values[i]! /= norm;
    return { indices, values };
  }
}
