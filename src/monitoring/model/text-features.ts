/**
 * Text-derived figures for drift, computed the same way for the baseline (validation texts) and
 * for live traffic: length, word tokens and out-of-vocabulary tokens (the lab's tokenizer against
 * the version's training vocabulary), and a hashed bag-of-words embedding.
 */
import { createHash } from 'node:crypto';
import { words } from '../../nlp/tokenize.js';

export function sha256Text(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export interface TokenFigures {
  tokens: number;
  /** null without a vocabulary to compare with. */
  oov: number | null;
}

export function tokenFigures(text: string, vocabulary: ReadonlySet<string> | null): TokenFigures {
  const tokens = words(text);
  if (!vocabulary) return { tokens: tokens.length, oov: null };
  let oov = 0;
  for (const t of tokens) if (!vocabulary.has(t)) oov++;
  return { tokens: tokens.length, oov };
}

/** Character-length buckets of the text-length distribution (upper bounds, exclusive; last is open). */
export const LENGTH_BUCKETS = [10, 20, 40, 80, 160, Infinity] as const;

export function lengthBucket(length: number): number {
  return LENGTH_BUCKETS.findIndex((upper) => length < upper);
}

export const EMBEDDING_DIM = 128;

/** FNV-1a 32-bit: a fast, stable string hash for feature hashing. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A model-independent sentence embedding: signed feature hashing of word unigrams and bigrams
 * into EMBEDDING_DIM dimensions, L2-normalised. It needs no encoder (so every model type, and
 * tfidf-linear in particular, gets an embedding-drift score), costs microseconds per text, and
 * moves when the vocabulary and phrasing of traffic move, which is what embedding drift is meant
 * to catch for intent classifiers.
 */
export function hashedEmbedding(text: string): Float64Array {
  const v = new Float64Array(EMBEDDING_DIM);
  const tokens = words(text);
  const add = (feature: string) => {
    const h = fnv1a(feature);
    v[h % EMBEDDING_DIM]! += h & 0x80000000 ? -1 : 1;
  };
  for (let i = 0; i < tokens.length; i++) {
    add(tokens[i]!);
    if (i + 1 < tokens.length) add(`${tokens[i]} ${tokens[i + 1]}`);
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return v;
}
