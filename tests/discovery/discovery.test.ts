import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runRemovedIntentsProtocol, type ProtocolFigures } from '../../bench/discovery-protocol.js';
import { AppError } from '../../src/core/errors.js';
import { ingestDataset } from '../../src/datasets/ingest.js';
import { acceptCluster, dismissCluster, mergeCluster } from '../../src/discovery/actions.js';
import { discoverIntents, prepareDiscovery } from '../../src/discovery/discover.js';
import { EXAMPLES_PER_CLUSTER, getDiscoveryRun } from '../../src/discovery/repository.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';

/**
 * The removed-intents protocol on a BANKING77 subset (30 intents, 10 of them removed from
 * training; 60 training rows per known intent; the 1,200 test rows of the 30 intents as the log),
 * then the actions on the clusters it finds. bench/discovery runs the same protocol on all 77.
 */
const SUBSET = [
  'activate_my_card', 'age_limit', 'apple_pay_or_google_pay', 'atm_support', 'automatic_top_up',
  'balance_not_updated_after_bank_transfer', 'beneficiary_not_allowed', 'cancel_transfer', 'card_about_to_expire',
  'card_arrival', 'change_pin', 'country_support', 'declined_cash_withdrawal', 'disposable_card_limits',
  'edit_personal_details', 'exchange_rate', 'fiat_currency_support', 'get_physical_card', 'lost_or_stolen_phone',
  'order_physical_card', 'passcode_forgotten', 'pending_top_up', 'receiving_money', 'request_refund',
  'terminate_account', 'top_up_limits', 'transfer_timing', 'verify_my_identity', 'visa_or_mastercard',
  'wrong_exchange_rate_for_cash_withdrawal',
]; // prettier-ignore

// One embedding cache for both dialects: the second embeds nothing.
const sharedCache = mkdtempSync(path.join(tmpdir(), 'chatlab-discovery-cache-'));
afterAll(() => rmSync(sharedCache, { recursive: true, force: true }));

const decisionsCount = async (lab: TestLab) =>
  Number((await sql<{ n: number }>`select count(*) as n from review_decisions`.execute(lab.db.kysely)).rows[0]!.n);

describeEachDialect('intent discovery', (dialect) => {
  let lab: TestLab;
  let figures: ProtocolFigures;
  beforeAll(async () => {
    lab = await createTestLab(dialect, { MODEL_CACHE_DIR: sharedCache });
    figures = await runRemovedIntentsProtocol(lab, { intents: SUBSET, removeCount: 10, seed: 42, trainPerIntent: 60 });
  }, 240_000);
  afterAll(async () => lab?.cleanup());

  it('recovers removed intents as pure clusters (BANKING77 removed-intents protocol)', () => {
    expect(figures.removed).toHaveLength(10);
    // A floor this implementation passes reliably; bench/discovery reports the real figures.
    expect(figures.recovered_count).toBeGreaterThanOrEqual(5);
    expect(figures.removed_in_pool_share).toBeGreaterThan(0.3);
    expect(figures.nmi).toBeGreaterThan(0.3);
  });

  it('describes each cluster: size, name, closest examples, nearest intents, trend', () => {
    const run = figures.run;
    expect(run.status).toBe('succeeded');
    expect(run.clusters.length).toBe(figures.clusters);
    expect(run.clustered! + run.noise!).toBe(run.pool_size);
    for (const c of run.clusters) {
      expect(c.size).toBeGreaterThanOrEqual(Number(run.params.min_cluster_size));
      expect(c.name_suggestion).toMatch(/^[\p{L}\p{N}_]+$/u);
      expect(c.examples.length).toBe(Math.min(EXAMPLES_PER_CLUSTER, c.size));
      const sims = c.examples.map((e) => e.similarity);
      expect(sims).toEqual([...sims].sort((a, b) => b - a));
      expect(c.nearest_intents).toHaveLength(3);
      expect(c.nearest_intents.every((n) => !figures.removed.includes(n.intent))).toBe(true);
      expect(c.trend.granularity).toBe('day');
      expect(c.trend.points.reduce((s, p) => s + p.turns, 0)).toBe(c.size);
      expect(c.status).toBe('open');
    }
    // Sizes come largest first.
    expect(run.clusters.map((c) => c.size)).toEqual([...run.clusters.map((c) => c.size)].sort((a, b) => b - a));
  });

  it('accepting a cluster writes a new_intent decision per turn and leaves the turns unchanged', async () => {
    const cluster = figures.run.clusters[0]!;
    const before = await lab.db.kysely
      .selectFrom('turns')
      .select(['id', 'intent', 'predicted_intent', 'confidence'])
      .where('dataset_id', '=', cluster.dataset_id)
      .orderBy('id')
      .execute();
    const accepted = await acceptCluster(lab, cluster.id, 'new_thing_one', 'tester');
    expect(accepted).toMatchObject({ status: 'accepted', intent: 'new_thing_one', decided_by: 'tester' });
    const rows = await lab.db.kysely
      .selectFrom('review_decisions')
      .selectAll()
      .where('cluster_id', '=', cluster.id)
      .execute();
    expect(rows).toHaveLength(cluster.size);
    expect(
      rows.every(
        (r) =>
          r.decision === 'new_intent' &&
          r.intent === 'new_thing_one' &&
          r.source === 'discovery' &&
          r.reviewer === 'tester',
      ),
    ).toBe(true);
    const after = await lab.db.kysely
      .selectFrom('turns')
      .select(['id', 'intent', 'predicted_intent', 'confidence'])
      .where('dataset_id', '=', cluster.dataset_id)
      .orderBy('id')
      .execute();
    expect(after).toEqual(before);

    // Deciding the same cluster again is refused and writes nothing.
    const count = await decisionsCount(lab);
    await expect(dismissCluster(lab, cluster.id, 'tester')).rejects.toMatchObject({ status: 409 });
    await expect(acceptCluster(lab, cluster.id, 'other', 'tester')).rejects.toMatchObject({ status: 409 });
    expect(await decisionsCount(lab)).toBe(count);
  });

  it('merging writes correct decisions into an existing intent; bad targets change nothing', async () => {
    const cluster = figures.run.clusters[1]!;
    const count = await decisionsCount(lab);
    await expect(mergeCluster(lab, cluster.id, 'no_such_intent', 'tester')).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('not an intent of this log'),
    });
    await expect(mergeCluster(lab, cluster.id, 'bad name!', 'tester')).rejects.toMatchObject({
      status: 400,
      details: [{ field: 'into', problem: 'is not a valid intent name' }],
    });
    await expect(acceptCluster(lab, cluster.id, 'bad name!', 'tester')).rejects.toMatchObject({ status: 400 });
    // An existing intent is not a *new* intent.
    const target = cluster.nearest_intents[0]!.intent;
    await expect(acceptCluster(lab, cluster.id, target, 'tester')).rejects.toMatchObject({ status: 409 });
    expect(await decisionsCount(lab)).toBe(count);
    expect((await getDiscoveryRun(lab, cluster.run_id)).clusters.find((c) => c.id === cluster.id)!.status).toBe('open');

    const merged = await mergeCluster(lab, cluster.id, target, 'tester');
    expect(merged).toMatchObject({ status: 'merged', intent: target });
    const rows = await lab.db.kysely
      .selectFrom('review_decisions')
      .select(['decision', 'intent'])
      .where('cluster_id', '=', cluster.id)
      .execute();
    expect(rows).toHaveLength(cluster.size);
    expect(rows.every((r) => r.decision === 'correct' && r.intent === target)).toBe(true);
  });

  it('dismissing records no decision', async () => {
    const cluster = figures.run.clusters[2]!;
    const count = await decisionsCount(lab);
    expect(await dismissCluster(lab, cluster.id, 'tester')).toMatchObject({ status: 'dismissed', intent: null });
    expect(await decisionsCount(lab)).toBe(count);
  });

  it('a new run leaves out the turns already decided', async () => {
    const decided = figures.run.clusters[0]!.size + figures.run.clusters[1]!.size;
    const again = await discoverIntents(lab, { datasetId: figures.run.dataset_id });
    expect(again.status).toBe('succeeded');
    expect(again.pool_size).toBe(figures.pool_size - decided);
  });

  it('refuses bad requests with a clear message and records no run', async () => {
    const runs = async () =>
      Number((await sql<{ n: number }>`select count(*) as n from discovery_runs`.execute(lab.db.kysely)).rows[0]!.n);
    const before = await runs();
    // A log nobody has labelled yet.
    const file = path.join(lab.dir, 'unlabelled.jsonl');
    writeFileSync(
      file,
      [
        '{"conversation_id":"a","speaker":"user","text":"where is my card"}',
        '{"conversation_id":"a","speaker":"bot","text":"let me see"}',
      ].join('\n'),
    );
    const raw = await ingestDataset(lab, { type: 'jsonl', path: file, name: 'raw' });
    const noPredictions = await prepareDiscovery(lab, { datasetId: raw.dataset.id }).catch((e: unknown) => e);
    expect(noPredictions).toBeInstanceOf(AppError);
    expect((noPredictions as AppError).message).toContain(`chatlab analyze --dataset ${raw.dataset.id}`);
    // A labelled training dataset is not a log.
    await expect(prepareDiscovery(lab, { datasetId: 'protocol-known' })).rejects.toThrow(/has no user turns/);
    await expect(prepareDiscovery(lab, { datasetId: 9999 })).rejects.toMatchObject({ status: 404 });
    await expect(
      prepareDiscovery(lab, { datasetId: figures.run.dataset_id, pool: 'everything' }),
    ).rejects.toMatchObject({
      status: 400,
      details: [{ field: 'pool', problem: expect.stringContaining('fallback') }],
    });
    await expect(prepareDiscovery(lab, { datasetId: figures.run.dataset_id, threshold: 2 })).rejects.toMatchObject({
      status: 400,
    });
    await expect(dismissCluster(lab, 999_999, 'tester')).rejects.toMatchObject({ status: 404 });
    expect(await runs()).toBe(before);
  });
});
