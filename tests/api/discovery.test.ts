import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApiKey } from '../../src/security/keys.js';
import { seedCraftedLog, UNKNOWN } from '../discovery/fixtures.js';
import { createTestApi, type TestApi } from '../support/api.js';
import { describeEachDialect } from '../support/databases.js';

async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describeEachDialect('discovery API', (dialect) => {
  let api: TestApi;
  let logId: number;
  let rawId: number;
  const keys: Record<'viewer' | 'editor', string> = { viewer: '', editor: '' };
  beforeAll(async () => {
    api = await createTestApi(dialect, { CHATLAB_AUTH: 'required', RATE_LIMIT_PER_MINUTE: '100000' });
    logId = await seedCraftedLog(api.lab, api.lab.dir, true);
    rawId = await seedCraftedLog(api.lab, api.lab.dir, false);
    keys.viewer = (await createApiKey(api.lab, { role: 'viewer', name: 'vera' })).key;
    keys.editor = (await createApiKey(api.lab, { role: 'editor', name: 'eddie' })).key;
  });
  afterAll(async () => api?.close());

  const call = (method: 'GET' | 'POST', url: string, role: 'viewer' | 'editor', payload?: object) =>
    api.app.inject({ method, url, payload, headers: { authorization: `Bearer ${keys[role]}` } });

  let runId: number;

  it('starts a run as a queued job and reports progress until its clusters are ready', async () => {
    expect((await call('POST', '/discovery/runs', 'viewer', { dataset_id: logId })).statusCode).toBe(403);
    const res = await call('POST', '/discovery/runs', 'editor', { dataset_id: logId, threshold: 0.5 });
    expect(res.statusCode, res.body).toBe(202);
    const queued = res.json();
    expect(queued).toMatchObject({ dataset_id: logId, pool: 'fallback', clusters: [] });
    expect(['queued', 'running', 'succeeded']).toContain(queued.status);
    expect(queued.job_id).toBeGreaterThan(0);
    runId = queued.id;
    const run = await waitFor(async () => {
      const r = (await call('GET', `/discovery/runs/${runId}`, 'viewer')).json();
      return r.status === 'succeeded' || r.status === 'failed' ? r : undefined;
    });
    expect(run.error).toBeNull();
    expect(run.pool_size).toBe(24);
    expect(run.progress).toMatchObject({ phase: 'done' });
    // The three unknown topics come out as three clusters, each of one topic.
    expect(run.clusters.length).toBe(3);
    const topicOf = new Map(Object.entries(UNKNOWN).flatMap(([topic, texts]) => texts.map((t) => [t, topic])));
    const topics = run.clusters.map((c: { examples: Array<{ text: string }> }) => {
      const seen = new Set(c.examples.map((e) => topicOf.get(e.text)));
      expect(seen.size).toBe(1);
      return [...seen][0];
    });
    expect(new Set(topics).size).toBe(3);
    for (const c of run.clusters) {
      expect(c.nearest_intents.map((n: { intent: string }) => n.intent).sort()).toEqual(['card_arrival', 'change_pin']);
      expect(c.trend.points.length).toBeGreaterThan(0);
    }
    const list = (await call('GET', `/discovery/runs?dataset_id=${logId}`, 'viewer')).json();
    expect(list.runs.map((r: { id: number }) => r.id)).toEqual([runId]);
  });

  it('accept, merge and dismiss need an editor and record the key name as the reviewer', async () => {
    const run = (await call('GET', `/discovery/runs/${runId}`, 'viewer')).json();
    const [a, b, c] = run.clusters;
    expect((await call('POST', `/discovery/clusters/${a.id}/accept`, 'viewer', { intent: 'x' })).statusCode).toBe(403);
    const accepted = await call('POST', `/discovery/clusters/${a.id}/accept`, 'editor', { intent: 'buy_crypto' });
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json()).toMatchObject({ status: 'accepted', intent: 'buy_crypto', decided_by: 'eddie' });
    const decisions = await api.lab.db.kysely
      .selectFrom('review_decisions')
      .selectAll()
      .where('cluster_id', '=', a.id)
      .execute();
    expect(decisions).toHaveLength(a.size);
    expect(
      decisions.every((d) => d.reviewer === 'eddie' && d.decision === 'new_intent' && d.source === 'discovery'),
    ).toBe(true);
    const merged = await call('POST', `/discovery/clusters/${b.id}/merge`, 'editor', { into: 'change_pin' });
    expect(merged.statusCode, merged.body).toBe(200);
    const dismissed = await call('POST', `/discovery/clusters/${c.id}/dismiss`, 'editor');
    expect(dismissed.json()).toMatchObject({ status: 'dismissed' });
    const again = await call('POST', `/discovery/clusters/${c.id}/dismiss`, 'editor');
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('CONFLICT');
  });

  it('bad input answers 4xx in the one error shape and changes nothing', async () => {
    const runsBefore = (await call('GET', '/discovery/runs', 'viewer')).json().runs.length;
    const raw = await call('POST', '/discovery/runs', 'editor', { dataset_id: rawId });
    expect(raw.statusCode).toBe(400);
    expect(raw.json().error.message).toContain('chatlab analyze');
    expect(raw.json().error.details[0]).toMatchObject({ field: 'dataset_id' });
    const pool = await call('POST', '/discovery/runs', 'editor', { dataset_id: logId, pool: 'everything' });
    expect(pool.statusCode).toBe(400);
    expect(pool.json().error.details[0].field).toBe('body.pool');
    expect((await call('POST', '/discovery/runs', 'editor', { dataset_id: 999 })).statusCode).toBe(404);
    expect((await call('GET', '/discovery/runs/999', 'viewer')).statusCode).toBe(404);
    const badName = await call('POST', '/discovery/clusters/1/accept', 'editor', { intent: 'two words' });
    expect(badName.statusCode).toBe(400);
    expect((await call('POST', '/discovery/clusters/999/merge', 'editor', { into: 'change_pin' })).statusCode).toBe(
      404,
    );
    expect((await call('GET', '/discovery/runs', 'viewer')).json().runs.length).toBe(runsBefore);
  });

  it('a run whose job died shows as failed with the reason', async () => {
    const db = api.lab.db.kysely;
    const job = await db
      .insertInto('jobs')
      .values({
        kind: 'discover',
        status: 'failed',
        payload: '{}',
        error: 'worker w1 stopped responding (no heartbeat for 60 s); gave up after 1 attempt(s)',
        attempts: 1,
        max_attempts: 1,
        cancel_requested: 0,
        updated_at: new Date().toISOString(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const run = await db
      .insertInto('discovery_runs')
      .values({
        dataset_id: logId,
        pool: 'fallback',
        params: JSON.stringify({ threshold: 0.5 }),
        status: 'running',
        job_id: job.id,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const res = (await call('GET', `/discovery/runs/${run.id}`, 'viewer')).json();
    expect(res).toMatchObject({ status: 'failed', error: expect.stringContaining('stopped responding') });
  });

  it('deleting the log deletes its runs, clusters and memberships', async () => {
    const { deleteDataset } = await import('../../src/datasets/repository.js');
    await deleteDataset(api.lab, logId);
    const db = api.lab.db.kysely;
    expect(await db.selectFrom('discovery_runs').select('id').where('dataset_id', '=', logId).execute()).toEqual([]);
    expect(await db.selectFrom('discovery_clusters').select('id').execute()).toEqual([]);
    expect(await db.selectFrom('discovery_members').select('turn_id').execute()).toEqual([]);
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json();
    for (const p of ['/discovery/runs', '/discovery/runs/{id}', '/discovery/clusters/{id}/accept']) {
      expect(doc.paths[p], p).toBeDefined();
    }
  });
});
