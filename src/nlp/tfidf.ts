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
   * n-grams as `terms()` but looks each up directly instead of building prefixed string lists, and
   * writes the entries into typed buffers (values computed in doubles, as before, then stored as
   * float32 once at the end).
   */
  transform(texts: string[]): Csr {
    const indptr = new Int32Array(texts.length + 1);
    const out: RowBuffer = { indices: new Int32Array(1024), values: new Float64Array(1024), length: 0 };
    const touched: number[] = [];
    const [wMin, wMax] = this.settings.wordNgrams;
    const [cMin, cMax] = this.settings.charNgrams;
    for (let r = 0; r < texts.length; r++) {
      const tokens = words(texts[r]!);
      const start = out.length;
      // Word n-grams.
      touched.length = 0;
      if (wMax > 0) {
        for (let n = wMin; n <= wMax; n++) {
          for (let i = 0; i + n <= tokens.length; i++) {
            const gram =
              n === 1 ? tokens[i]! : n === 2 ? `${tokens[i]} ${tokens[i + 1]}` : tokens.slice(i, i + n).join(' ');
            this.count(this.wordIndex.get(gram), touched);
          }
        }
      }
      const wordEnd = this.flushBlock(touched, out);
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
      const charEnd = this.flushBlock(touched, out);
      // Both blocks present: scale each by 1/sqrt(2) so the whole row has unit length.
      if (wordEnd > start && charEnd > wordEnd) for (let i = start; i < charEnd; i++) out.values[i]! *= Math.SQRT1_2;
      indptr[r + 1] = out.length;
    }
    return {
      rows: texts.length,
      cols: this.size,
      indptr,
      indices: out.indices.slice(0, out.length),
      values: Float32Array.from(out.values.subarray(0, out.length)),
    };
  }

  private count(col: number | undefined, touched: number[]): void {
    if (col === undefined) return;
    if (this.counts[col] === 0) touched.push(col);
    this.counts[col]!++;
  }

  /** Counts -> (sublinear) tf * idf -> L2-normalised entries appended; resets the counts. */
  private flushBlock(touched: number[], out: RowBuffer): number {
    const start = out.length;
    if (out.length + touched.length > out.values.length) grow(out, out.length + touched.length);
    const indices = out.indices;
    const values = out.values;
    const counts = this.counts;
    const idf = this.idf;
    const sublinear = this.settings.sublinearTf;
    let norm = 0;
    let end = start;
    for (let t = 0; t < touched.length; t++) {
      const col = touched[t]!;
      const c = counts[col]!;
      counts[col] = 0;
      const v = (sublinear ? 1 + Math.log(c) : c) * idf[col]!;
      indices[end] = col;
      values[end++] = v;
      norm += v * v;
    }
    out.length = end;
    norm = Math.sqrt(norm);
    if (norm > 0) for (let i = start; i < end; i++) values[i]! /= norm;
    return end;
  }
}

/** Entries of the rows transformed so far, in buffers that double when full. */
interface RowBuffer {
  indices: Int32Array;
  values: Float64Array;
  length: number;
}

function grow(out: RowBuffer, needed: number): void {
  let size = out.values.length;
  while (size < needed) size *= 2;
  const indices = new Int32Array(size);
  const values = new Float64Array(size);
  indices.set(out.indices.subarray(0, out.length));
  values.set(out.values.subarray(0, out.length));
  out.indices = indices;
  out.values = values;
}
