import { Ajv, type ValidateFunction } from 'ajv';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { labelTurns } from '../../src/analytics/label.js';
import { buildApp, type LabApp } from '../../src/api/app.js';
import { RunEventSchema } from '../../src/api/contracts/run-events.js';
import { parseSseChunk } from '../../web/src/lib/sse.js';
import { ingestCraftedLog, stubPredictor } from '../analytics/fixtures.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import { seedBanking77, SUBSET_INTENTS } from '../training/support.js';
import { seedCraftedLog } from '../discovery/fixtures.js';
import { ingestReviewLog } from '../review/fixtures.js';
import { waitFor } from '../support/wait.js';

interface Violation {
  route: string;
  status: number;
  errors: string[];
}

/**
 * Every answer of the main resources validates against the response schema its route declares
 * (the contract the dashboard's types come from), with that schema's additionalProperties rules.
 * The payload is checked before serialisation: fast-json-stringify would silently drop a field
 * the schema does not name, hiding the drift from a client-side check.
 */
describeEachDialect('API contracts: answers match their declared response schemas', (dialect) => {
  let app: LabApp;
  let lab: TestLab;
  const checked: Array<{ route: string; status: number }> = [];
  const violations: Violation[] = [];
  // Fastify's own validator (ajv 8), fed the shared schemas the routes reference by $id.
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validators = new WeakMap<object, ValidateFunction>();
  const validatorOf = (schema: object, shared: Record<string, unknown>) => {
    for (const [id, s] of Object.entries(shared)) if (!ajv.getSchema(id)) ajv.addSchema(s as object, id);
    let validate = validators.get(schema);
    if (!validate) validators.set(schema, (validate = ajv.compile(schema)));
    return validate;
  };

  beforeAll(async () => {
    lab = await createTestLab(dialect);
    // A rule the monitoring test breaches, so /alerts answers with a rule and a firing alert.
    lab.settings.alerts = [{ metric: 'error_rate', threshold: 0.5, for: 0, direction: 'above' }];
    app = await buildApp(lab);
    app.addHook('preSerialization', async (request, reply, payload) => {
      const route = `${request.method} ${request.routeOptions.url ?? request.url}`;
      const schemas = request.routeOptions.schema?.response as Record<string, object> | undefined;
      const declared = schemas?.[String(reply.statusCode)] as
        { content?: Record<string, { schema: object }> } | undefined;
      // A route answering more than one media type declares the JSON one under content.
      const schema = declared?.content ? declared.content['application/json']?.schema : declared;
      if (!schema) return payload;
      const validate = validatorOf(schema, request.server.getSchemas());
      checked.push({ route, status: reply.statusCode });
      // Through JSON, as a client sees it (dates become strings, undefined fields vanish).
      if (!validate(JSON.parse(JSON.stringify(payload)))) {
        const errors = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message}`);
        violations.push({ route, status: reply.statusCode, errors });
      }
      return payload;
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await lab?.cleanup();
  });

  const inject = async (method: 'GET' | 'POST', url: string, payload?: object) => {
    const res = await app.inject({ method, url, payload });
    return { status: res.statusCode, body: res.json() as Record<string, unknown> & { id?: number } };
  };

  let datasetId: number;
  const runs: number[] = [];

  it('datasets, runs, models, predictions, comparison, evaluation and errors keep their contracts', async () => {
    datasetId = await seedBanking77(lab, {
      intents: SUBSET_INTENTS.slice(0, 3),
      trainPerIntent: 20,
      testPerIntent: 6,
    });
    expect((await inject('GET', '/datasets')).status).toBe(200);
    expect((await inject('GET', `/datasets/${datasetId}`)).status).toBe(200);
    expect((await inject('GET', `/datasets/${datasetId}/summary`)).status).toBe(200);
    expect((await inject('GET', `/datasets/${datasetId}/examples?limit=5`)).status).toBe(200);

    for (const seed of [1, 2]) {
      const trained = await inject('POST', '/training/run', {
        dataset_id: datasetId,
        model_type: 'tfidf-linear',
        seed,
      });
      expect(trained.status, JSON.stringify(trained.body)).toBe(200);
      runs.push(trained.body.id!);
    }
    expect((await inject('GET', '/training/runs')).status).toBe(200);
    expect((await inject('GET', `/training/runs/${runs[0]}`)).status).toBe(200);
    const evaluation = await inject('GET', `/training/runs/${runs[0]}/evaluation`);
    expect(evaluation.status).toBe(200);
    expect(evaluation.body.errors).toBeInstanceOf(Array);
    expect((await inject('GET', `/runs/compare?ids=${runs.join(',')}`)).status).toBe(200);
    expect((await inject('GET', '/models')).status).toBe(200);
    expect((await inject('POST', '/models/2/aliases', { alias: 'production' })).status).toBe(200);
    expect((await inject('POST', '/intents/predict', { texts: ['I lost my card', 'where is my money'] })).status).toBe(
      200,
    );
    // Error answers have a contract too.
    expect((await inject('GET', '/training/runs/999999')).status).toBe(404);
    expect((await inject('POST', '/training/run', { dataset_id: datasetId, bogus: 1 })).status).toBe(400);
    expect((await inject('POST', `/training/runs/${runs[0]}/cancel`)).status).toBe(409);

    expect(violations).toEqual([]);
    const routes = new Set(checked.map((c) => c.route));
    for (const route of [
      'GET /datasets',
      'POST /training/run',
      'GET /training/runs',
      'GET /training/runs/:id',
      'GET /training/runs/:id/evaluation',
      'GET /runs/compare',
      'GET /models',
      'POST /intents/predict',
    ])
      expect(routes, `${route} was checked`).toContain(route);
  });

  it('review, discovery and the improvement loop keep their contracts', async () => {
    const before = violations.length;
    const log = await ingestReviewLog(lab, lab.dir);
    expect((await inject('GET', `/review/queue?dataset=${log.dataset}&strategy=margin`)).status).toBe(200);
    const decided = await inject('POST', '/review/decisions', {
      decisions: [
        { turn_id: await log.turn('where is my card'), decision: 'accept' },
        { turn_id: await log.turn('I lost my card'), decision: 'correct', intent: 'lost_card' },
        { turn_id: await log.turn('transfer 50 to savings'), decision: 'new_intent', intent: 'savings' },
      ],
    });
    expect(decided.status, JSON.stringify(decided.body)).toBe(201);
    expect((await inject('GET', `/review/stats?dataset=${log.dataset}`)).status).toBe(200);
    expect((await inject('GET', `/review/turns/${await log.turn('I lost my card')}/decisions`)).status).toBe(200);
    expect((await inject('POST', '/review/decisions', { turn_id: 1, decision: 'maybe' })).status).toBe(400);

    // Version 2 of the training dataset from the decisions, its versions and diff.
    const derived = await inject('POST', `/datasets/${datasetId}/derive`, { reviews: [log.dataset], holdout: 0 });
    expect(derived.status, JSON.stringify(derived.body)).toBe(201);
    expect((await inject('GET', `/datasets/${datasetId}/versions`)).status).toBe(200);
    const diff = await inject('GET', `/datasets/${(derived.body.dataset as { id: number }).id}/diff`);
    expect(diff.status).toBe(200);
    expect((diff.body.reviewed as unknown[]).length).toBeGreaterThan(0);
    // Version 1 against production (version 2) on the first dataset's test split.
    const check = await inject('POST', '/models/1/promote-check', { dataset: datasetId, reviews: [] });
    expect(check.status, JSON.stringify(check.body)).toBe(200);

    const discoveryLog = await seedCraftedLog(lab, lab.dir, true);
    const started = await inject('POST', '/discovery/runs', { dataset_id: discoveryLog, threshold: 0.5 });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const run = await waitFor(async () => {
      const r = await inject('GET', `/discovery/runs/${started.body.id}`);
      return r.body.status === 'succeeded' || r.body.status === 'failed' ? r.body : undefined;
    }, 'the discovery run to end');
    expect(run.status, String(run.error)).toBe('succeeded');
    const [first, second] = run.clusters as Array<{ id: number }>;
    expect((await inject('POST', `/discovery/clusters/${first!.id}/accept`, { intent: 'new_topic' })).status).toBe(200);
    expect((await inject('POST', `/discovery/clusters/${second!.id}/dismiss`)).status).toBe(200);
    expect((await inject('GET', `/discovery/runs?dataset_id=${discoveryLog}`)).status).toBe(200);

    expect(violations.slice(before)).toEqual([]);
    const routes = new Set(checked.map((c) => c.route));
    for (const route of [
      'GET /review/queue',
      'POST /review/decisions',
      'GET /review/stats',
      'GET /review/turns/:id/decisions',
      'POST /datasets/:id/derive',
      'GET /datasets/:id/versions',
      'GET /datasets/:id/diff',
      'POST /models/:version/promote-check',
      'POST /discovery/runs',
      'GET /discovery/runs',
      'GET /discovery/runs/:id',
      'POST /discovery/clusters/:id/accept',
      'POST /discovery/clusters/:id/dismiss',
    ])
      expect(routes, `${route} was checked`).toContain(route);
  });

  it('analytics and conversations keep their contracts', async () => {
    const datasetId = await ingestCraftedLog(lab, lab.dir);
    await labelTurns(lab, { datasetId }, { predictor: stubPredictor });
    for (const kind of ['overview', 'intents', 'flows', 'fallback', 'sessions', 'sentiment']) {
      const answer = await inject('GET', `/analytics/${kind}?dataset=${datasetId}&granularity=week`);
      expect(answer.status, kind).toBe(200);
    }
    // Every kind across all datasets too (no dataset filter: the rollup path).
    expect((await inject('GET', '/analytics/overview')).status).toBe(200);
    const page = await inject('GET', `/conversations?dataset_id=${datasetId}&limit=2`);
    expect(page.status).toBe(200);
    const first = (page.body.items as Array<{ id: number }>)[0]!;
    expect((await inject('GET', `/conversations/${first.id}`)).status).toBe(200);

    expect(violations).toEqual([]);
    const routes = new Set(checked.map((c) => c.route));
    for (const kind of ['overview', 'intents', 'flows', 'fallback', 'sessions', 'sentiment'])
      expect(routes, `GET /analytics/${kind} was checked`).toContain(`GET /analytics/${kind}`);
    expect(routes).toContain('GET /conversations');
    expect(routes).toContain('GET /conversations/:id');
  });

  it('monitoring keeps its contracts: requests, system, alerts, model signals and the prediction log', async () => {
    // Relies on the first test: model version 2 is `production` and has served two predictions.
    // More 5xx answers than the earlier tests made requests: the error rate breaches the rule.
    for (let i = 0; i < 500; i++)
      app.monitoring.metrics.record({ method: 'GET', route: '/x', statusCode: 500, durationMs: 5 });
    expect((await app.monitoring.alerts.evaluate()).map((e) => e.state)).toEqual(['firing']);
    await app.monitoring.alerts.idle();
    expect((await inject('GET', '/monitoring/requests?window=1h')).status).toBe(200);
    expect((await inject('GET', '/monitoring/requests/history')).status).toBe(200);
    expect((await inject('GET', '/monitoring/system')).status).toBe(200);
    const alerts = await inject('GET', '/alerts');
    expect(alerts.status).toBe(200);
    expect(alerts.body.firing).toHaveLength(1);
    expect((await inject('GET', '/alerts/history')).status).toBe(200);
    const model = await inject('GET', '/monitoring/model?window=1h');
    expect(model.status, JSON.stringify(model.body)).toBe(200);
    await app.monitoring.predictions.flush(); // the log writes in batches
    const logged = await inject('GET', '/monitoring/model/predictions?limit=5');
    expect(logged.status).toBe(200);
    expect(logged.body.predictions).toHaveLength(2);

    expect(violations).toEqual([]);
    const routes = new Set(checked.map((c) => c.route));
    for (const route of [
      'GET /monitoring/requests',
      'GET /monitoring/requests/history',
      'GET /monitoring/system',
      'GET /alerts',
      'GET /alerts/history',
      'GET /monitoring/model',
      'GET /monitoring/model/predictions',
    ])
      expect(routes, `${route} was checked`).toContain(route);
  });

  it("a run's event stream carries RunEvent messages, named by their type, and /docs declares RunEvent", async () => {
    // The first test's finished run: its status, the phases this process saw, then the final status.
    const res = await app.inject({ method: 'GET', url: `/training/runs/${runs[0]}/events` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const { messages } = parseSseChunk(res.body);
    expect(messages.length).toBeGreaterThan(2);
    const validate = validatorOf(RunEventSchema, {});
    for (const message of messages) {
      const event = JSON.parse(message.data) as { type: string };
      expect(validate(event), `${message.data}: ${JSON.stringify(validate.errors)}`).toBe(true);
      expect(message.event).toBe(event.type);
    }
    expect(messages.some((m) => m.event === 'phase')).toBe(true);
    expect(JSON.parse(messages[messages.length - 1]!.data)).toMatchObject({ type: 'status', status: 'succeeded' });

    const docs = (await app.inject({ url: '/docs/json' })).json() as {
      paths: Record<string, { get: { responses: Record<string, { content: Record<string, { schema: object }> }> } }>;
      components: { schemas: Record<string, { title?: string }> };
    };
    const content = docs.paths['/training/runs/{id}/events']!.get.responses['200']!.content;
    expect(Object.keys(content)).toEqual(['text/event-stream']);
    const ref = (content['text/event-stream']!.schema as { $ref: string }).$ref;
    const declared = docs.components.schemas[ref.replace('#/components/schemas/', '')]!;
    expect(declared.title).toBe('RunEvent');
    expect(JSON.stringify(declared)).toMatch(/"status"[\s\S]*"phase"[\s\S]*"epoch"/);
  });

  it('a contract drift fails the check (an answer missing a declared field)', () => {
    const validate = validatorOf({ $ref: 'Run' }, app.getSchemas());
    expect(validate({ id: 1 })).toBe(false);
    expect(validate.errors?.[0]?.message).toMatch(/must have required property/);
  });
});
