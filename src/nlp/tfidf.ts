/**
 * TF-IDF featuriser: word 1-2-grams and character 2-5-grams within word boundaries, sublinear tf
 * (1 + ln tf), smoothed idf (ln((1+n)/(1+df)) + 1, as scikit-learn), each block L2-normalised and
 * scaled by 1/sqrt(2) so that a row has unit norm and words and characters weigh the same.
 */
import { charNgrams, wordNgrams, words } from './tokenize.js';
import type { Csr } from './sparse.js';

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
  /** Column of each word n-gram and each char n-gram (vocabulary terms without their prefix). */
  private readonly wordIndex = new Map<string, number>();
  private readonly charIndex = new Map<string, number>();
  /** Per-column counts while transforming one text (reused; zero between texts). */
  private counts: Float64Array;

  constructor(
    readonly settings: TfidfSettings,
    /** Vocabulary in column order. */
    readonly vocabulary: string[],
    readonly idf: Float32Array,
  ) {
    vocabulary.forEach((t, i) => (t.startsWith('w:') ? this.wordIndex : this.charIndex).set(t.slice(2), i));
    this.counts = new Float64Array(vocabulary.length);
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
    return new TfidfVectorizer(
      settings,
      kept.map(([t]) => t),
      idf,
    );
  }

  get size(): number {
    return this.vocabulary.length;
  }

  /**
   * One normalised sparse row per text. This is the prediction hot path, so it generates the same
   * n-grams as `terms()` but looks each up directly instead of building prefixed string lists.
   */
  transform(texts: string[]): Csr {
    const indptr = new Int32Array(texts.length + 1);
    const indices: number[] = [];
    const values: number[] = [];
    const touched: number[] = [];
    const [wMin, wMax] = this.settings.wordNgrams;
    const [cMin, cMax] = this.settings.charNgrams;
    texts.forEach((text, r) => {
      const tokens = words(text);
      const start = indices.length;
      // Word n-grams.
      touched.length = 0;
      if (wMax > 0) {
        for (let n = wMin; n <= wMax; n++) {
          for (let i = 0; i + n <= tokens.length; i++) {
            this.count(this.wordIndex.get(n === 1 ? tokens[i]! : tokens.slice(i, i + n).join(' ')), touched);
          }
        }
      }
      const wordEnd = this.flushBlock(touched, indices, values);
      // Character n-grams within word boundaries.
      touched.length = 0;
      if (cMax > 0) {
        for (const token of tokens) {
          const padded = ` ${token} `;
          for (let n = cMin; n <= cMax && n <= padded.length; n++) {
            for (let i = 0; i + n <= padded.length; i++)
              this.count(this.charIndex.get(padded.slice(i, i + n)), touched);
          }
        }
      }
      const charEnd = this.flushBlock(touched, indices, values);
      // Both blocks present: scale each by 1/sqrt(2) so the whole row has unit length.
      if (wordEnd > start && charEnd > wordEnd) for (let i = start; i < charEnd; i++) values[i]! *= Math.SQRT1_2;
      indptr[r + 1] = indices.length;
    });
    return {
      rows: texts.length,
      cols: this.size,
      indptr,
      indices: Int32Array.from(indices),
      values: Float32Array.from(values),
    };
  }

  private count(col: number | undefined, touched: number[]): void {
    if (col === undefined) return;
    if (this.counts[col] === 0) touched.push(col);
    this.counts[col]!++;
  }

  /** Counts -> (sublinear) tf * idf -> L2-normalised entries appended; resets the counts. */
  private flushBlock(touched: number[], indices: number[], values: number[]): number {
    const start = values.length;
    let norm = 0;
    for (const col of touched) {
      const c = this.counts[col]!;
      this.counts[col] = 0;
      const v = (this.settings.sublinearTf ? 1 + Math.log(c) : c) * this.idf[col]!;
      indices.push(col);
      values.push(v);
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    if (norm > 0) for (let i = start; i < values.length; i++) values[i]! /= norm;
    return values.length;
  }
}
