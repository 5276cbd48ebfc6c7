import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { fastSentiment, referenceAnalyzer, sentimentOf } from '../../src/conversations/sentiment.js';
import { banking77Dir, sgdDir } from '../datasets/helpers.js';

describe('sentiment (patched VADER tokenizer)', () => {
  it('is active, and gives exactly the published package scores on real and punctuation-heavy texts', () => {
    expect(fastSentiment).toBe(true);
    const banking = (
      parse(readFileSync(path.join(banking77Dir, 'test.csv')), { columns: true }) as Array<{ text: string }>
    ).map((r) => r.text);
    const sgd = (
      JSON.parse(readFileSync(path.join(sgdDir, 'test/dialogues_001.json'), 'utf8')) as Array<{
        turns: Array<{ utterance: string }>;
      }>
    )
      .slice(0, 60)
      .flatMap((d) => d.turns.map((t) => t.utterance));
    const crafted = [
      'GREAT!!! thanks :) but the app is NOT good...',
      '"really?!?" he said, "no way!!"',
      ":-( sad, can't log in; hate it",
      'kind of ok - sort of. the bomb!',
      'yeah right, this is the shit',
      '!!!wow!!! ,nice, ...fine...',
      'I do not love it at least',
      'never so good',
    ];
    const texts = [...banking, ...sgd, ...crafted];
    expect(texts.length).toBeGreaterThan(3500);
    const differing = texts.filter((t) => sentimentOf(t) !== referenceAnalyzer.polarity_scores(t).compound);
    expect(differing).toEqual([]);
  });
});
