import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp, type LabApp } from '../../src/api/app.js';
import { createApiKey } from '../../src/security/keys.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import { ingestReviewLog } from './fixtures.js';

describeEachDialect('review API with roles', (dialect) => {
  let lab: TestLab;
  let app: LabApp;
  let dataset: number;
  let turn: (t: string) => Promise<number>;
  const keys = new Map<string, string>();
  beforeAll(async () => {
    lab = await createTestLab(dialect, { CHATLAB_AUTH: 'required', RATE_LIMIT_PER_MINUTE: '100000' });
    ({ dataset, turn } = await ingestReviewLog(lab, lab.dir));
    for (const role of ['viewer', 'editor'])
      keys.set(role, (await createApiKey(lab, { role, name: `${role}-ann` })).key);
    app = await buildApp(lab);
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await lab.cleanup();
  });
  const as = (role: string) => ({ authorization: `Bearer ${keys.get(role)}` });

  it('viewer reads the queue and stats; editor decides, recorded under the key name', async () => {
    const queue = await app.inject({
      url: `/review/queue?dataset=${dataset}&strategy=margin&limit=2`,
      headers: as('viewer'),
    });
    expect(queue.statusCode, queue.body).toBe(200);
    const body = queue.json();
    expect(body).toMatchObject({ strategy: 'margin', groups: 5, limit: 2 });
    expect(body.items.map((i: { text: string }) => i.text)).toEqual(['where is my card', 'I lost my card']);
    expect(body.items[0].group_size).toBe(2);

    const first = body.items[0].turn_id as number;
    const denied = await app.inject({
      method: 'POST',
      url: '/review/decisions',
      headers: as('viewer'),
      payload: { turn_id: first, decision: 'accept' },
    });
    expect(denied.statusCode).toBe(403);

    const one = await app.inject({
      method: 'POST',
      url: '/review/decisions',
      headers: as('editor'),
      payload: { turn_id: first, decision: 'accept' },
    });
    expect(one.statusCode, one.body).toBe(201);
    expect(one.json().decisions).toHaveLength(2);
    expect(one.json().decisions[0]).toMatchObject({
      reviewer: 'editor-ann',
      decision: 'accept',
      intent: 'card_arrival',
    });

    const many = await app.inject({
      method: 'POST',
      url: '/review/decisions',
      headers: as('editor'),
      payload: {
        decisions: [
          { turn_id: await turn('I lost my card'), decision: 'correct', intent: 'lost_card' },
          { turn_id: await turn("what's the weather"), decision: 'oos' },
        ],
      },
    });
    expect(many.statusCode, many.body).toBe(201);
    const stats = await app.inject({ url: `/review/stats?dataset=${dataset}`, headers: as('viewer') });
    expect(stats.statusCode).toBe(200);
    expect(stats.json()).toMatchObject({ total: 7, reviewed: 4, pending: 3, accuracy: { judged: 4, correct: 2 } });
    const history = await app.inject({
      url: `/review/turns/${await turn('I lost my card')}/decisions`,
      headers: as('viewer'),
    });
    expect(history.json().decisions.map((d: { decision: string }) => d.decision)).toEqual(['correct']);
  });

  it('bad input answers 4xx with the error shape and writes nothing', async () => {
    const before = (await app.inject({ url: `/review/stats?dataset=${dataset}`, headers: as('viewer') })).json();
    const post = (payload: unknown) =>
      app.inject({ method: 'POST', url: '/review/decisions', headers: as('editor'), payload: payload as object });
    const unknown = await post({ turn_id: 987654, decision: 'accept' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatchObject({ code: 'NOT_FOUND', details: [{ field: 'body.turn_id' }] });
    const badName = await post({
      decisions: [
        { turn_id: await turn('transfer 50 to savings'), decision: 'accept' },
        { turn_id: await turn('what is my balance'), decision: 'new_intent', intent: 'two words' },
      ],
    });
    expect(badName.statusCode).toBe(400);
    expect(badName.json().error.details[0].field).toBe('body.decisions[1].intent');
    const badKind = await post({ turn_id: 1, decision: 'maybe' });
    expect(badKind.statusCode).toBe(400);
    expect(badKind.json().error.code).toBe('VALIDATION_ERROR');
    const badStrategy = await app.inject({
      url: `/review/queue?dataset=${dataset}&strategy=loud`,
      headers: as('viewer'),
    });
    expect(badStrategy.statusCode).toBe(400);
    const after = (await app.inject({ url: `/review/stats?dataset=${dataset}`, headers: as('viewer') })).json();
    expect(after).toEqual(before);
  });
});
