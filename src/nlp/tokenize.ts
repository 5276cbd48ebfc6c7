/**
 * Text normalisation and tokenisation shared by the featurisers. Kept deliberately simple and
 * language-agnostic: lower-case, Unicode letters/digits as word characters, apostrophes kept
 * inside words ("don't", "card's") because they carry meaning in short queries.
 */

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu;

/** Lower-cased word tokens of a text. */
export function words(text: string): string[] {
  return (text.toLowerCase().normalize('NFKC').match(WORD) ?? []).map((w) => w.replace(/’/g, "'"));
}

/** Word n-grams (joined by a space) for n in [minN, maxN]. */
export function wordNgrams(tokens: string[], minN: number, maxN: number): string[] {
  const out: string[] = [];
  for (let n = minN; n <= maxN; n++) {
    for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join(' '));
  }
  return out;
}

/**
 * Character n-grams within word boundaries (scikit-learn's `char_wb`): each word is padded with
 * one space on both sides and n-grams never cross words, so "card" gives " c", "ca", ..., "d ".
 */
export function charNgrams(tokens: string[], minN: number, maxN: number): string[] {
  const out: string[] = [];
  for (const token of tokens) {
    const padded = ` ${token} `;
    for (let n = minN; n <= maxN; n++) {
      if (n > padded.length) break;
      for (let i = 0; i + n <= padded.length; i++) out.push(padded.slice(i, i + n));
    }
  }
  return out;
}
