import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRun } from '../../src/experiments/runs.js';
import { createTestApi, type TestApi } from '../support/api.js';
import { describeEachDialect } from '../support/databases.js';

/** GET /training/runs filters on the server and pages with a cursor, so the dashboard needs no client-side cap. */
describeEachDialect('runs list: server-side filters and cursor pages', (dialect) => {
  let api: TestApi;
  const ids = new Map<string, number[]>();

  beforeAll(async () => {
    api = await createTestApi(dialect);
    const db = api.lab.db.kysely;
    const datasets: number[] = [];
    for (const name of ['alpha', 'beta']) {
      const row = await db
        .insertInto('datasets')
        .values({ name, type: 'csv', source: 'test', checksum: `sum-${name}` })
        .returning('id')
        .executeTakeFirstOrThrow();
      datasets.push(row.id);
    }
    // 30 runs: datasets alternate, model types cycle, every third is tagged team=nlp, one tag holds LIKE wildcards.
    const models = ['tfidf-linear', 'encoder-mlp', 'ensemble'];
    for (let i = 0; i < 30; i++) {
      const tags: Record<string, string> = i % 3 === 0 ? { team: 'nlp' } : { team: 'ops' };
      if (i === 7) tags.note = '100%_sure';
      const id = await createRun(api.lab, {
        datasetId: datasets[i % 2]!,
        modelType: models[i % 3]!,
        params: {},
        tags,
        experiment: i < 20 ? 'default' : 'other',
      });
      const key = `${i % 2}:${models[i % 3]}:${tags.team}`;
      ids.set(key, [...(ids.get(key) ?? []), id]);
    }
    ids.set('datasets', datasets);
  });
  afterAll(async () => api?.close());

  const get = async (query: string) => {
    const res = await api.app.inject({ method: 'GET', url: `/training/runs?${query}` });
    return { status: res.statusCode, body: res.json() };
  };

  it('filters by dataset, model type and tag together', async () => {
    const [alpha] = ids.get('datasets')!;
    const res = await get(`dataset_id=${alpha}&model_type=tfidf-linear&tag=team%3Dnlp`);
    expect(res.status).toBe(200);
    const expected = [...(ids.get('0:tfidf-linear:nlp') ?? [])].sort((a, b) => b - a);
    expect(expected.length).toBeGreaterThan(0);
    expect(res.body.runs.map((r: { id: number }) => r.id)).toEqual(expected);
    expect(res.body.next_cursor).toBeNull();
  });

  it('a tag filter matches whole keys and values, wildcards included', async () => {
    expect((await get('tag=note')).body.runs).toHaveLength(1);
    expect((await get('tag=note%3D100%25_sure')).body.runs).toHaveLength(1);
    expect((await get('tag=note%3D100')).body.runs).toHaveLength(0);
    expect((await get('tag=team%3Dn_p')).body.runs).toHaveLength(0);
    expect((await get('tag=tea')).body.runs).toHaveLength(0);
  });

  it('walks every run exactly once through cursor pages, newest first', async () => {
    const seen: number[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null) {
      const res = await get(`limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.runs.map((r: { id: number }) => r.id));
      cursor = res.body.next_cursor;
      pages++;
    }
    expect(seen).toHaveLength(30);
    expect(new Set(seen).size).toBe(30);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    expect(pages).toBe(5);
    const other = await get('experiment=other&limit=500');
    expect(other.body.runs).toHaveLength(10);
  });

  it('a cursor it did not hand out is a 400 naming it', async () => {
    const res = await get('cursor=abc');
    expect(res.status).toBe(400);
    expect(res.body.error.details[0]).toMatchObject({ field: 'querystring.cursor' });
  });
});
