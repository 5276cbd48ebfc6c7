import { afterAll, beforeAll, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { duplicateKey } from '../../src/datasets/preprocess.js';
import { resolveModel } from '../../src/experiments/registry.js';
import {
  datasetDiff,
  datasetVersions,
  deriveDataset,
  promoteCheck,
  type DeriveResult,
} from '../../src/improve/index.js';
import { recordDecisions, latestDecisions } from '../../src/review/index.js';
import { trainModel } from '../../src/training/pipeline.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import { KNOWN, NEW_INTENT, seedLog, seedTrainingDataset, type LoopFixture } from './fixtures.js';

const refuse = async (p: Promise<unknown>, status: number, message: RegExp) => {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).status).toBe(status);
  expect((err as AppError).message).toMatch(message);
};

describeEachDialect('derive, train, promote-check', (dialect) => {
  let lab: TestLab;
  let fx: LoopFixture;
  let derived: DeriveResult;
  let baselineVersion: number;
  let candidateVersion: number;
  let candidateRun: number;
  beforeAll(async () => {
    lab = await createTestLab(dialect);
    const training = await seedTrainingDataset(lab);
    const base = await trainModel(lab, { datasetId: training, modelType: 'tfidf-linear', alias: 'production' });
    expect(base.status, base.error ?? '').toBe('succeeded');
    baselineVersion = base.model_version!;
    fx = await seedLog(lab, training);
    const id = (t: string) => fx.turns.get(t)!;
    await recordDecisions(
      lab,
      [
        ...fx.newIntentTexts.map((t) => ({ turn_id: id(t), decision: 'new_intent' as const, intent: NEW_INTENT })),
        ...fx.duplicateTexts.map(([t, label]) => ({ turn_id: id(t), decision: 'correct' as const, intent: label })),
        { turn_id: id(fx.conflictText), decision: 'correct' as const, intent: 'change_pin' },
        { turn_id: id("what's the weather like in Paris"), decision: 'oos' as const },
        { turn_id: id('blah blah'), decision: 'skip' as const },
      ],
      { reviewer: 'tester' },
    );
  }, 120_000);
  afterAll(async () => lab.cleanup());

  it('derive: old examples + decided turns, no duplicates, provenance, conflicts reported', async () => {
    derived = await deriveDataset(lab, { from: fx.training, reviews: [fx.log] });
    const distinctNew = new Set(fx.newIntentTexts.map((t) => duplicateKey(t))).size;
    expect(derived.created).toBe(true);
    expect(derived.dataset).toMatchObject({ name: 'banking77-subset', version: 2, example_count: 320 + distinctNew });
    expect(derived.added).toMatchObject({ total: distinctNew, test: Math.floor(distinctNew * 0.2) });
    expect(derived.added.by_intent).toEqual([{ intent: NEW_INTENT, count: distinctNew, new_intent: true }]);
    // Texts of the dataset's test split, and repeats inside the log itself (BANKING77 has a few).
    expect(derived.duplicates).toBe(fx.duplicateTexts.length + fx.newIntentTexts.length - distinctNew);
    expect(derived.conflicts).toEqual([
      expect.objectContaining({
        text: fx.conflictText,
        decided_intent: 'change_pin',
        existing_label: 'card_arrival',
        existing: 'example',
      }),
    ]);
    expect(derived.validation.warnings).toBeGreaterThan(0);

    const rowsOf = (id: number) =>
      lab.db.kysely
        .selectFrom('examples')
        .select(['split', 'text', 'label', 'metadata'])
        .where('dataset_id', '=', id)
        .orderBy('id')
        .execute();
    const before = await rowsOf(fx.training);
    const after = await rowsOf(derived.dataset.id);
    expect(after.slice(0, before.length)).toEqual(before);
    const added = after.slice(before.length);
    const keys = after.map((r) => duplicateKey(r.text));
    expect(new Set(keys).size).toBe(keys.length);
    const latest = await latestDecisions(lab, [fx.log]);
    for (const r of added) {
      expect(r.label).toBe(NEW_INTENT);
      const p = (JSON.parse(r.metadata!) as { provenance: Record<string, unknown> }).provenance;
      expect(p).toMatchObject({ source_dataset: fx.log, decision: 'new_intent', reviewer: 'tester' });
      expect(fx.turns.get(r.text)).toBe(p.turn_id);
      expect(latest.get(p.turn_id as number)!.id).toBe(p.decision_id);
    }
    const stored = await lab.db.kysely
      .selectFrom('datasets')
      .select('validation')
      .where('id', '=', derived.dataset.id)
      .executeTakeFirstOrThrow();
    expect(stored.validation).toContain('review_conflicts');

    // The same derivation again is the version already stored; --with-oos makes another.
    expect((await deriveDataset(lab, { from: fx.training, reviews: [fx.log] })).created).toBe(false);
    const withOos = await deriveDataset(lab, { from: fx.training, reviews: [fx.log], withOos: true, name: 'with-oos' });
    expect(withOos.dataset).toMatchObject({ name: 'with-oos', version: 1, example_count: 320 + distinctNew + 1 });

    const versions = await datasetVersions(lab, 'banking77-subset');
    expect(versions.map((v) => [v.version, v.reviewed_examples])).toEqual([
      [1, 0],
      [2, distinctNew],
    ]);
    expect(versions[1]!.source).toMatch(/^derived from banking77-subset@1/);
    const diff = await datasetDiff(lab, derived.dataset.id);
    expect(diff.against).toMatchObject({ version: 1 });
    expect(diff.by_intent).toEqual([
      { intent: NEW_INTENT, before: 0, after: distinctNew, delta: distinctNew, new_intent: true },
    ]);
    expect(diff.reviewed).toHaveLength(distinctNew);
  });

  it('derive refuses bad input and writes nothing', async () => {
    const count = async () => (await lab.db.kysely.selectFrom('datasets').select('id').execute()).length;
    const n = await count();
    await refuse(
      deriveDataset(lab, { from: fx.log, reviews: [fx.log] }),
      400,
      /is a conversation log, not a training dataset/,
    );
    await refuse(deriveDataset(lab, { from: 9999, reviews: [fx.log] }), 404, /dataset 9999/);
    await refuse(deriveDataset(lab, { from: fx.training, reviews: [] }), 400, /at least one reviewed log/);
    await refuse(deriveDataset(lab, { from: fx.training, reviews: [fx.training] }), 400, /not a conversation log/);
    expect(await count()).toBe(n);
  });

  it('training on the new version works; promote-check verdicts on the fewer-vs-more-intents pair', async () => {
    const run = await trainModel(lab, { datasetId: derived.dataset.id, modelType: 'tfidf-linear' });
    expect(run.status, run.error ?? '').toBe('succeeded');
    candidateRun = run.id;
    candidateVersion = run.model_version!;

    const better = await promoteCheck(lab, { candidate: `run:${candidateRun}` });
    expect(better.verdict).toBe('promote');
    expect(better.candidate.version).toBe(candidateVersion);
    expect(better.baseline.version).toBe(baselineVersion);
    expect(better.held_out.test_examples).toBe(80 + Math.floor(derived.added.total * 0.2));
    expect(better.mcnemar.c).toBeGreaterThan(better.mcnemar.b);
    const gained = better.intent_f1_deltas.find((d) => d.intent === NEW_INTENT)!;
    expect(gained.baseline).toBe(0);
    expect(gained.candidate).toBeGreaterThan(0.5);
    expect(better.applied).toBe(false);

    // Reversed: the model that never saw the new intent, as the candidate.
    const worse = await promoteCheck(lab, {
      candidate: String(baselineVersion),
      baseline: String(candidateVersion),
      dataset: derived.dataset.id,
      apply: true,
    });
    expect(worse.verdict).toBe('regressed');
    expect(worse.applied).toBe(false);
    expect((await resolveModel(lab, 'production')).version).toBe(baselineVersion);

    // On the four known intents only, no reviewed turns: no significant difference.
    const same = await promoteCheck(lab, { candidate: String(candidateVersion), dataset: fx.training, reviews: [] });
    expect(same.held_out).toEqual({ test_examples: 80, reviewed_turns: 0, total: 80 });
    expect(same.verdict).toBe('hold');
    expect(KNOWN.every((k) => same.intent_f1_deltas.some((d) => d.intent === k))).toBe(true);

    const applied = await promoteCheck(lab, { candidate: String(candidateVersion), apply: true });
    expect(applied).toMatchObject({ verdict: 'promote', applied: true });
    expect((await resolveModel(lab, 'production')).version).toBe(candidateVersion);
    await refuse(promoteCheck(lab, { candidate: String(candidateVersion) }), 400, /the candidate is the baseline/);
  }, 120_000);
});
