import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseFilters, runAnalytics, type RawFilters } from '../../src/analytics/index.js';
import type { FallbackResult } from '../../src/analytics/fallback.js';
import type { FlowsResult } from '../../src/analytics/flows.js';
import type { IntentsResult } from '../../src/analytics/intents.js';
import { labelTurns } from '../../src/analytics/label.js';
import type { OverviewResult } from '../../src/analytics/overview.js';
import type { SentimentResult } from '../../src/analytics/sentiment.js';
import type { SessionsResult } from '../../src/analytics/sessions.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import { ingestCraftedLog, stubPredictor } from './fixtures.js';

describeEachDialect('analytics on a crafted timestamped log', (dialect) => {
  let lab: TestLab;
  let dataset: number;
  beforeAll(async () => {
    lab = await createTestLab(dialect);
    dataset = await ingestCraftedLog(lab, lab.dir);
  });
  afterAll(async () => lab.cleanup());

  const run = async <T>(kind: Parameters<typeof runAnalytics>[1], raw: RawFilters = {}, options = {}) =>
    (await runAnalytics(lab, kind, parseFilters({ dataset, ...raw }), options)) as T;

  it('before labelling, unlabelled user turns are counted apart and skipped by flows', async () => {
    const intents = await run<IntentsResult>('intents');
    expect(intents.total).toBe(7);
    expect(intents.unlabelled).toBe(3);
    const flows = await run<FlowsResult>('flows');
    // A: check_balance > transfer; C: out_of_scope > check_balance; D: thanks > transfer (B has one labelled turn).
    expect(flows.links).toEqual([
      { source: 'check_balance', target: 'transfer', count: 1 },
      { source: 'out_of_scope', target: 'check_balance', count: 1 },
      { source: 'thanks', target: 'transfer', count: 1 },
    ]);
  });

  it('labelling stores predictions beside the given labels, in batches, and is resumable', async () => {
    const progress: Array<[number, number]> = [];
    const result = await labelTurns(
      lab,
      { datasetId: dataset, batchSize: 3 },
      { predictor: stubPredictor, onProgress: (d, t) => progress.push([d, t]) },
    );
    expect(result).toMatchObject({
      labelled: 10,
      below_threshold: 4,
      sentiment_filled: 0,
      predicted_total: 10,
      threshold: 0.5,
    });
    expect(progress.at(-1)).toEqual([10, 10]);
    expect(progress.length).toBe(5); // 0, 3, 6, 9, 10
    const row = await lab.db.kysely
      .selectFrom('turns')
      .select(['intent', 'predicted_intent', 'confidence'])
      .where('text', '=', "what's the weather")
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ intent: 'out_of_scope', predicted_intent: 'check_balance', confidence: 0.9 });
    const again = await labelTurns(lab, { datasetId: dataset }, { predictor: stubPredictor });
    expect(again.labelled).toBe(0);
  });

  it('fallback share is exact: under the threshold or a fallback label', async () => {
    const fb = await run<FallbackResult>('fallback');
    // Under 0.5: 0.2, 0.45, 0.1, 0.3 (0.5 itself is not under); plus the out_of_scope label at 0.9.
    expect(fb).toMatchObject({ turns: 10, scored_turns: 10, fallback: 5, share: 0.5, threshold: 0.5 });
    const transfer = fb.by_intent.find((r) => r.intent === 'transfer')!;
    expect(transfer).toEqual({ intent: 'transfer', turns: 2, fallback: 1, share: 0.5, mean_confidence: 0.575 });
    expect(fb.lowest_confidence.map((r) => r.confidence)).toEqual([0.1, 0.2, 0.3, 0.45, 0.5, 0.7, 0.8, 0.9, 0.9, 0.95]);
    expect(fb.lowest_confidence[0]).toMatchObject({
      conversation: 'D',
      text: 'I love this, thank you',
      intent: 'thanks',
    });
    const strict = await run<FallbackResult>('fallback', {}, { threshold: 0.35 });
    expect(strict.fallback).toBe(4);
    expect(strict.share).toBe(0.4);
    const monthly = await run<FallbackResult>('fallback', { granularity: 'month' });
    expect(monthly.series).toEqual([
      { period: '2025-01-01T00:00:00.000Z', turns: 6, fallback: 3, share: 0.5 },
      { period: '2025-02-01T00:00:00.000Z', turns: 4, fallback: 2, share: 0.5 },
    ]);
  });

  it('intent time series per hour, day, week and month', async () => {
    const series = async (granularity: string) =>
      (await run<IntentsResult>('intents', { granularity })).series.map((p) => [p.period, p.total]);
    expect(await series('day')).toEqual([
      ['2025-01-06T00:00:00.000Z', 4],
      ['2025-01-08T00:00:00.000Z', 2],
      ['2025-02-03T00:00:00.000Z', 3],
      ['2025-02-10T00:00:00.000Z', 1],
    ]);
    expect(await series('week')).toEqual([
      ['2025-01-06T00:00:00.000Z', 6],
      ['2025-02-03T00:00:00.000Z', 3],
      ['2025-02-10T00:00:00.000Z', 1],
    ]);
    expect(await series('month')).toEqual([
      ['2025-01-01T00:00:00.000Z', 6],
      ['2025-02-01T00:00:00.000Z', 4],
    ]);
    expect((await series('hour')).slice(0, 2)).toEqual([
      ['2025-01-06T10:00:00.000Z', 2],
      ['2025-01-06T11:00:00.000Z', 2],
    ]);
    const top = await run<IntentsResult>('intents', { granularity: 'month' }, { top: 2 });
    expect(top.intents.map((i) => [i.intent, i.count])).toEqual([
      ['check_balance', 2],
      ['transfer', 2],
      ['(other)', 6],
    ]);
    expect(top.series[0]!.counts).toEqual({ check_balance: 2, transfer: 1, '(other)': 3 });
  });

  it('time range, speaker and intent filters', async () => {
    const ranged = await run<OverviewResult>('overview', { from: '2025-01-07', to: '2025-02-05' });
    expect(ranged).toMatchObject({ conversations: 2, turns: 6, user_turns: 5 });
    const users = await run<SessionsResult>('sessions', { speaker: 'user' });
    expect(new Map(users.length_histogram.map((b) => [b.turns, b.conversations]))).toEqual(
      new Map([
        [2, 3],
        [3, 1],
        [1, 1],
      ]),
    );
    const transfer = await run<SessionsResult>('sessions', { intent: 'transfer' });
    expect(transfer.conversations).toBe(2);
    const fbTransfer = await run<FallbackResult>('fallback', { intent: 'transfer' });
    expect(fbTransfer.turns).toBe(2);
  });

  it('overview, sessions and flows after labelling', async () => {
    const o = await run<OverviewResult>('overview');
    expect(o).toMatchObject({
      conversations: 5,
      turns: 14,
      user_turns: 10,
      distinct_intents: 8,
      predicted_turns: 10,
      turns_per_conversation: { mean: 2.8, median: 3, p90: 4 },
      duration_ms: { mean: 116_000, median: 70_000, conversations: 5 },
      first_turn_at: '2025-01-06T10:00:00.000Z',
      last_turn_at: '2025-02-10T08:00:00.000Z',
    });
    const s = await run<SessionsResult>('sessions');
    expect(s.per_period.map((p) => [p.period, p.conversations])).toEqual([
      ['2025-01-06T00:00:00.000Z', 2],
      ['2025-01-08T00:00:00.000Z', 1],
      ['2025-02-03T00:00:00.000Z', 1],
      ['2025-02-10T00:00:00.000Z', 1],
    ]);
    const flows = await run<FlowsResult>('flows');
    expect(flows.transitions).toBe(5);
    expect(flows.exits.find((e) => e.intent === 'goodbye')?.count).toBe(1);
    expect(flows.paths.find((p) => p.path.join('>') === 'thanks>transfer>goodbye')?.count).toBe(1);
  });

  it('sentiment: known sentences have the right sign, most negative conversation first', async () => {
    const s = await run<SentimentResult>('sentiment');
    expect(s.overall.turns).toBe(10);
    const byIntent = new Map(s.by_intent.map((r) => [r.intent, r.mean!]));
    expect(byIntent.get('complaint')).toBeLessThan(-0.05);
    expect(byIntent.get('thanks')).toBeGreaterThan(0.05);
    expect(s.most_negative[0]!.conversation).toBe('B');
    expect(s.overall.negative + s.overall.neutral + s.overall.positive).toBeCloseTo(1, 3);
    expect(s.series.map((p) => p.turns)).toEqual([4, 2, 3, 1]);
  });

  it('rejects bad filters naming the field, and an unknown dataset', async () => {
    expect(() => parseFilters({ granularity: 'year' })).toThrow(/granularity/);
    expect(() => parseFilters({ from: 'yesterday' })).toThrow(/from/);
    expect(() => parseFilters({ from: '2025-02-01', to: '2025-01-01' })).toThrow(/later than/);
    await expect(runAnalytics(lab, 'overview', parseFilters({ dataset: 9999 }))).rejects.toThrow(/9999/);
  });
});
