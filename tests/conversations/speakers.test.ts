import { describe, expect, it } from 'vitest';
import { sentimentOf } from '../../src/conversations/sentiment.js';
import { canonicalSpeaker, parseTimestamp } from '../../src/conversations/speakers.js';

describe('canonical speakers', () => {
  it('maps the user side to USER and the bot side to SYSTEM, anything else upper-cased', () => {
    for (const name of ['user', 'Customer', 'CLIENT', ' human ']) expect(canonicalSpeaker(name)).toBe('USER');
    for (const name of ['bot', 'System', 'agent', 'ASSISTANT']) expect(canonicalSpeaker(name)).toBe('SYSTEM');
    expect(canonicalSpeaker('operator')).toBe('OPERATOR');
    expect(canonicalSpeaker('Live Agent')).toBe('LIVE AGENT');
  });
});

describe('timestamps', () => {
  it('parses ISO 8601 with or without zone, and epoch seconds or milliseconds', () => {
    expect(parseTimestamp('2024-03-01T10:00:00Z')).toBe(Date.UTC(2024, 2, 1, 10));
    expect(parseTimestamp('2024-03-01T10:00:00.250+02:00')).toBe(Date.UTC(2024, 2, 1, 8, 0, 0, 250));
    expect(parseTimestamp('2024-03-01 10:00:00Z')).toBe(Date.UTC(2024, 2, 1, 10));
    expect(parseTimestamp('2024-03-01')).toBe(Date.UTC(2024, 2, 1));
    expect(parseTimestamp('1709287200')).toBe(1709287200000);
    expect(parseTimestamp(1709287200)).toBe(1709287200000);
    expect(parseTimestamp('1709287200123')).toBe(1709287200123);
    expect(parseTimestamp(1709287200.5)).toBe(1709287200500);
  });

  it('empty is null; anything else is refused (undefined) so the loader can name the row', () => {
    expect(parseTimestamp('')).toBeNull();
    expect(parseTimestamp(null)).toBeNull();
    expect(parseTimestamp(undefined)).toBeNull();
    for (const bad of ['yesterday', '03/01/2024', '2024-13-45T99:99:99Z', true, {}])
      expect(parseTimestamp(bad)).toBeUndefined();
  });
});

describe('sentiment', () => {
  it('is the VADER compound score', () => {
    expect(sentimentOf('I love this, it is great!')).toBeCloseTo(0.8622, 3);
    expect(sentimentOf('This is terrible, my card was stolen')).toBeLessThan(-0.5);
    expect(sentimentOf('What is my balance')).toBe(0);
    expect(sentimentOf('   ')).toBe(0);
    // Memoised results are the same numbers.
    expect(sentimentOf('I love this, it is great!')).toBeCloseTo(0.8622, 3);
  });
});
