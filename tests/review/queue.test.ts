import { afterAll, beforeAll, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { createRun } from '../../src/experiments/runs.js';
import { decisionHistory, recordDecisions, reviewQueue, reviewStats, wilsonInterval } from '../../src/review/index.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import { ingestReviewLog } from './fixtures.js';

describeEachDialect('review queue, decisions and statistics', (dialect) => {
  let lab: TestLab;
  let dataset: number;
  const id = new Map<string, number>();
  const ids = (...texts: string[]) => texts.map((t) => id.get(t)!);
  beforeAll(async () => {
    lab = await createTestLab(dialect);
    const log = await ingestReviewLog(lab, lab.dir);
    dataset = log.dataset;
    for (const t of [
      'where is my card',
      'Where is my card?',
      'what is my balance',
      'I lost my card',
      'transfer 50 to savings',
      'transfer 20 to savings',
      "what's the weather",
    ])
      id.set(t, await log.turn(t));
  });
  afterAll(async () => lab.cleanup());

  const order = async (strategy: string, extra = {}) =>
    (await reviewQueue(lab, dataset, { strategy, ...extra })).items.map((i) => i.turn_id);

  it('ranks by each strategy on known confidences, near-duplicates grouped', async () => {
    // Groups: {where is my card ×2} {balance} {lost} {transfer ×2} {weather}.
    expect(await order('uncertainty')).toEqual(
      ids('where is my card', 'transfer 50 to savings', 'I lost my card', "what's the weather", 'what is my balance'),
    );
    // Margins: .02 (.05 in the group), .25, .35 (transfer 20; .40 for transfer 50), .70, .92.
    expect(await order('margin')).toEqual(
      ids('where is my card', 'I lost my card', 'transfer 20 to savings', "what's the weather", 'what is my balance'),
    );
    // Given label differs from the prediction, most confident first.
    expect(await order('disagreement')).toEqual(ids("what's the weather", 'I lost my card'));
    // Under 0.5, or a fallback label (out_of_scope).
    expect(await order('fallback')).toEqual(ids('where is my card', 'transfer 50 to savings', "what's the weather"));
    expect(await order('fallback', { threshold: 0.32 })).toEqual(ids('where is my card', "what's the weather"));

    const queue = await reviewQueue(lab, dataset, { strategy: 'uncertainty' });
    expect(queue).toMatchObject({ strategy: 'uncertainty', threshold: 0.5, groups: 5, turns: 7 });
    expect(queue.items[0]).toMatchObject({
      text: 'where is my card',
      predicted_intent: 'card_arrival',
      confidence: 0.3,
      group_size: 2,
      group_turn_ids: ids('where is my card', 'Where is my card?'),
      top: [
        { intent: 'card_arrival', confidence: 0.3 },
        { intent: 'lost_card', confidence: 0.28 },
        { intent: 'balance', confidence: 0.1 },
      ],
    });
    expect(queue.items[0]!.margin).toBeCloseTo(0.02, 10);
    expect(queue.items.find((i) => i.text === 'what is my balance')!.group_size).toBe(1);
  });

  it('random is a seeded permutation of the groups; paging and filters', async () => {
    const a = await order('random', { seed: 7 });
    expect(a).toEqual(await order('random', { seed: 7 }));
    const groupsOf = async (strategy: string) =>
      (await reviewQueue(lab, dataset, { strategy, seed: 7 })).items.map((i) => i.group_turn_ids.join(',')).sort();
    expect(await groupsOf('random')).toEqual(await groupsOf('uncertainty'));
    const orders = new Set<string>();
    for (const seed of [1, 2, 3, 4, 5, 6]) orders.add(JSON.stringify(await order('random', { seed })));
    expect(orders.size).toBeGreaterThan(1);
    expect(await order('uncertainty', { limit: 2, offset: 1 })).toEqual(
      ids('transfer 50 to savings', 'I lost my card'),
    );
    expect(await order('uncertainty', { q: 'CARD' })).toEqual(ids('where is my card', 'I lost my card'));
    expect(await order('uncertainty', { intent: 'balance' })).toEqual(ids("what's the weather", 'what is my balance'));
  });

  it('a decision applies to the group, never changes the turn, and the latest wins with history', async () => {
    const before = await lab.db.kysely
      .selectFrom('turns')
      .selectAll()
      .where('dataset_id', '=', dataset)
      .orderBy('id')
      .execute();

    const written = await recordDecisions(lab, [{ turn_id: id.get('where is my card')!, decision: 'accept' }], {
      reviewer: 'alice',
    });
    expect(written.map((w) => [w.turn_id, w.decision, w.intent, w.reviewer, w.source])).toEqual([
      [id.get('where is my card'), 'accept', 'card_arrival', 'alice', 'review'],
      [id.get('Where is my card?'), 'accept', 'card_arrival', 'alice', 'review'],
    ]);
    expect(written[0]!.created_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await order('uncertainty')).not.toContain(id.get('where is my card'));

    await recordDecisions(lab, [{ turn_id: id.get('I lost my card')!, decision: 'correct', intent: 'lost_card' }], {
      reviewer: 'bob',
    });
    await recordDecisions(lab, [{ turn_id: id.get('I lost my card')!, decision: 'accept' }], { reviewer: 'carol' });
    const history = await decisionHistory(lab, id.get('I lost my card')!);
    expect(history.map((h) => [h.decision, h.intent, h.reviewer])).toEqual([
      ['correct', 'lost_card', 'bob'],
      ['accept', 'card_arrival', 'carol'],
    ]);

    // Several at once; "correct" to the predicted intent is an accept; a new intent covers the group.
    await recordDecisions(
      lab,
      [
        { turn_id: id.get('what is my balance')!, decision: 'skip' },
        { turn_id: id.get("what's the weather")!, decision: 'oos' },
        { turn_id: id.get('transfer 50 to savings')!, decision: 'new_intent', intent: 'savings_transfer' },
      ],
      { reviewer: 'cli' },
    );
    expect(await order('uncertainty')).toEqual([]);
    expect(await order('uncertainty', { includeSkipped: true })).toEqual(ids('what is my balance'));
    await recordDecisions(lab, [{ turn_id: id.get('what is my balance')!, decision: 'correct', intent: 'balance' }], {
      reviewer: 'cli',
    });
    expect((await decisionHistory(lab, id.get('what is my balance')!)).at(-1)!.decision).toBe('accept');

    const after = await lab.db.kysely
      .selectFrom('turns')
      .selectAll()
      .where('dataset_id', '=', dataset)
      .orderBy('id')
      .execute();
    expect(after).toEqual(before);
  });

  it('statistics and the Wilson interval are exact on the crafted case', async () => {
    const stats = await reviewStats(lab, dataset);
    // Latest: 2× accept card_arrival, accept (lost → card_arrival), accept balance, oos (predicted balance),
    // 2× new intent (predicted transfer) → 4 of 7 right.
    expect(stats).toMatchObject({
      total: 7,
      reviewed: 7,
      skipped: 0,
      pending: 0,
      by_decision: { accept: 4, correct: 0, new_intent: 2, oos: 1, skip: 0 },
      accuracy: { judged: 7, correct: 4 },
    });
    expect(stats.accuracy.accuracy).toBeCloseTo(4 / 7, 12);
    // Reference values: statsmodels proportion_confint(4, 7, method="wilson").
    expect(stats.accuracy.ci95!.low).toBeCloseTo(0.2504583645, 8);
    expect(stats.accuracy.ci95!.high).toBeCloseTo(0.8417801447, 8);
    expect(stats.per_intent.map((p) => [p.intent, p.correct, p.judged])).toEqual([
      ['transfer', 0, 2],
      ['balance', 1, 2],
      ['card_arrival', 3, 3],
    ]);
    expect(stats.per_intent[1]!.ci95!.low).toBeCloseTo(0.0945312057, 8);
    expect(wilsonInterval(0, 0)).toBeNull();
    expect(wilsonInterval(10, 10)!.high).toBeCloseTo(1, 12);
  });

  it('bad input is refused with a clear message and nothing is written', async () => {
    const count = async () =>
      Number(
        (
          await lab.db.kysely
            .selectFrom('review_decisions')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const n = await count();
    const refuse = async (p: Promise<unknown>, status: number, message: RegExp) => {
      const err = await p.then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).status).toBe(status);
      expect((err as AppError).message).toMatch(message);
    };
    const valid = { turn_id: id.get('where is my card')!, decision: 'accept' as const };
    await refuse(
      recordDecisions(lab, [valid, { turn_id: 999999, decision: 'accept' }], { reviewer: 'x' }),
      404,
      /turn 999999/,
    );
    await refuse(
      recordDecisions(lab, [valid, { turn_id: id.get('I lost my card')!, decision: 'correct', intent: 'bad name!' }], {
        reviewer: 'x',
      }),
      400,
      /intent name "bad name!" is not valid/,
    );
    await refuse(
      recordDecisions(lab, [{ turn_id: id.get('I lost my card')!, decision: 'correct', intent: 'nonsense' }], {
        reviewer: 'x',
      }),
      400,
      /not an intent the model knows/,
    );
    await refuse(
      recordDecisions(lab, [{ turn_id: id.get('I lost my card')!, decision: 'new_intent', intent: 'balance' }], {
        reviewer: 'x',
      }),
      400,
      /already an intent/,
    );
    await refuse(
      recordDecisions(lab, [{ turn_id: id.get('I lost my card')!, decision: 'maybe' as never }], { reviewer: 'x' }),
      400,
      /decision must be one of/,
    );
    const botTurn = await lab.db.kysely
      .selectFrom('turns')
      .select('id')
      .where('dataset_id', '=', dataset)
      .where('speaker', '=', 'SYSTEM')
      .executeTakeFirstOrThrow();
    await refuse(
      recordDecisions(lab, [{ turn_id: botTurn.id, decision: 'accept' }], { reviewer: 'x' }),
      400,
      /only user turns/,
    );

    // A log without predictions, and a dataset a model was trained on.
    const other = await ingestReviewLog(lab, lab.dir, 'trained-on');
    await lab.db.kysely
      .updateTable('turns')
      .set({ predicted_intent: null, confidence: null })
      .where('dataset_id', '=', other.dataset)
      .execute();
    await refuse(reviewQueue(lab, other.dataset), 400, /run `chatlab analyze --dataset \d+`/);
    await refuse(
      recordDecisions(lab, [{ turn_id: await other.turn('I lost my card'), decision: 'oos' }], { reviewer: 'x' }),
      400,
      /has no prediction: run `chatlab analyze/,
    );
    await createRun(lab, { datasetId: other.dataset, modelType: 'tfidf-linear', params: {} });
    await refuse(
      recordDecisions(lab, [{ turn_id: await other.turn('I lost my card'), decision: 'oos' }], { reviewer: 'x' }),
      400,
      /is a labelled training dataset/,
    );
    await refuse(reviewQueue(lab, dataset, { strategy: 'loudest' }), 400, /unknown strategy "loudest"/);
    expect(await count()).toBe(n);
  });
});
