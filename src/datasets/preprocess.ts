import type { PreprocessOptions } from './types.js';

/** Used when a request asks for preprocessing without saying which steps. */
export const DEFAULT_PREPROCESS: Required<PreprocessOptions> = {
  nfkc: true,
  collapseWhitespace: true,
  trim: true,
  lowercase: false,
  dropEmpty: false,
};

export const NO_PREPROCESS: Required<PreprocessOptions> = {
  nfkc: false,
  collapseWhitespace: false,
  trim: false,
  lowercase: false,
  dropEmpty: false,
};

/** Fills in unspecified steps from the defaults, so the dataset records every step explicitly. */
export function resolvePreprocess(options: PreprocessOptions | undefined): Required<PreprocessOptions> {
  return { ...DEFAULT_PREPROCESS, ...(options ?? {}) };
}

const WHITESPACE = /\s+/g;
/** NFKC leaves ASCII text unchanged; most chatbot text is ASCII, so the costly call is skipped. */
// eslint-disable-next-line no-control-regex -- the whole ASCII range is the point
const ASCII = /^[\x00-\x7f]*$/;

/** The text the lab trains on (`examples.norm_text`); the original is stored beside it. */
export function preprocessText(text: string, o: Required<PreprocessOptions>): string {
  let t = text;
  if (o.nfkc && !ASCII.test(t)) t = t.normalize('NFKC');
  if (o.collapseWhitespace) t = t.replace(WHITESPACE, ' ');
  if (o.trim) t = t.trim();
  if (o.lowercase) t = t.toLowerCase();
  return t;
}

const PUNCTUATION = /[\p{P}\p{S}]+/gu;

/**
 * The key under which validation calls two texts "the same": case, punctuation and whitespace
 * ignored. Independent of the dataset's preprocessing so reports compare like with like.
 */
export function duplicateKey(text: string): string {
  return (ASCII.test(text) ? text : text.normalize('NFKC'))
    .toLowerCase()
    .replace(PUNCTUATION, ' ')
    .replace(WHITESPACE, ' ')
    .trim();
}
