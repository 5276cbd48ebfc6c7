import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { AlertEvaluator, alertHistory, type MetricValues } from '../../src/monitoring/alerts.js';
import { createChannels, type AlertChannel, type AlertEvent } from '../../src/monitoring/channels/index.js';
import { signBody, WebhookChannel } from '../../src/monitoring/channels/webhook.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';

/** A real HTTP receiver on 127.0.0.1 answering with scripted statuses. */
async function startReceiver(statuses: (n: number) => number) {
  const received: Array<{ body: string; signature: string | undefined }> = [];
  let attempts = 0;
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      attempts++;
      const status = statuses(attempts);
      if (status < 300) received.push({ body, signature: req.headers['x-chatlab-signature'] as string | undefined });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    attempts: () => attempts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const fastSleep = () => Promise.resolve();

describeEachDialect('alert evaluation', (dialect) => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await createTestLab(dialect);
  });
  afterAll(async () => lab?.cleanup());
  afterEach(async () => {
    await lab.db.kysely.deleteFrom('alerts').execute();
  });

  it('fires once after the `for` duration, stays quiet while breached, resolves once, and stores the incident', async () => {
    let clock = 1_700_000_000_000;
    let value: number | null = 100;
    const sent: AlertEvent[] = [];
    const channel: AlertChannel = { name: 'memory', send: async (e) => void sent.push(e) };
    const evaluator = new AlertEvaluator({
      db: lab.db,
      rules: [{ metric: 'p95_latency_ms', threshold: 500, for: 60, direction: 'above' }],
      channels: [channel],
      source: async (): Promise<MetricValues> => ({ p95_latency_ms: value }),
      now: () => clock,
    });
    const step = async (v: number | null, advanceS: number) => {
      value = v;
      clock += advanceS * 1000;
      return evaluator.evaluate();
    };
    expect(await step(100, 0)).toEqual([]);
    expect(await step(900, 10)).toEqual([]); // breach begins
    expect(evaluator.status()[0]!.state).toBe('pending');
    expect(await step(950, 30)).toEqual([]); // 30 s into the breach
    expect(await step(100, 10)).toEqual([]); // back before `for`: no alert, breach forgotten
    expect(await step(900, 10)).toEqual([]); // a new breach starts
    expect(await step(900, 59)).toEqual([]);
    const fired = await step(920, 1); // 60 s
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ state: 'firing', rule: 'p95_latency_ms > 500', value: 920, threshold: 500 });
    for (let i = 0; i < 10; i++) expect(await step(1000 + i, 15)).toEqual([]); // no repeat storm
    expect(await step(null, 15)).toEqual([]); // no data is not recovery
    expect(evaluator.status()[0]!.state).toBe('firing');
    const resolved = await step(200, 15);
    expect(resolved).toHaveLength(1);
    expect(resolved[0]).toMatchObject({ state: 'resolved', value: 200 });
    for (let i = 0; i < 5; i++) expect(await step(100, 15)).toEqual([]);
    await evaluator.idle();
    expect(sent.map((e) => e.state)).toEqual(['firing', 'resolved']);

    const history = await alertHistory(lab.db);
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ rule: 'p95_latency_ms > 500', state: 'resolved', value: 920, threshold: 500 });
    expect(history[0]!.resolved_at).not.toBeNull();
  });

  it('"below" rules and a restart that adopts a firing incident instead of repeating it', async () => {
    let clock = 1_700_000_000_000;
    let free = 3;
    const rules = [{ metric: 'disk_free_percent', threshold: 5, for: 0, direction: 'below' as const }];
    const make = () =>
      new AlertEvaluator({
        db: lab.db,
        rules,
        channels: [],
        source: async () => ({ disk_free_percent: free }),
        now: () => clock,
      });
    const first = make();
    expect((await first.evaluate()).map((e) => e.state)).toEqual(['firing']);
    const second = make(); // e.g. the server restarted
    clock += 60_000;
    expect(await second.evaluate()).toEqual([]);
    expect(second.status()[0]!.state).toBe('firing');
    free = 40;
    expect((await second.evaluate()).map((e) => e.state)).toEqual(['resolved']);
    expect(await alertHistory(lab.db)).toHaveLength(1);
  });

  it('a failing channel neither throws from evaluation nor stops the other channels', async () => {
    const sent: AlertEvent[] = [];
    const errors: string[] = [];
    const evaluator = new AlertEvaluator({
      db: lab.db,
      rules: [{ metric: 'error_rate', threshold: 0.1, for: 0, direction: 'above' }],
      channels: [
        { name: 'broken', send: async () => Promise.reject(new Error('boom')) },
        { name: 'memory', send: async (e) => void sent.push(e) },
      ],
      source: async () => ({ error_rate: 0.5 }),
      onChannelError: (name) => errors.push(name),
    });
    expect(await evaluator.evaluate()).toHaveLength(1);
    await evaluator.idle();
    expect(sent).toHaveLength(1);
    expect(errors).toEqual(['broken']);
  });
});

describe('webhook channel', () => {
  const event: AlertEvent = {
    rule: 'error_rate > 0.05',
    metric: 'error_rate',
    state: 'firing',
    value: 0.2,
    threshold: 0.05,
    direction: 'above',
    for_s: 60,
    started_at: '2026-01-01T00:00:00.000Z',
    time: '2026-01-01T00:00:00.000Z',
    message: 'error_rate is 0.2',
  };

  it('delivers JSON with a verifiable HMAC-SHA256 signature', async () => {
    const receiver = await startReceiver(() => 200);
    try {
      await new WebhookChannel({ url: receiver.url, secret: 's3cret' }).send(event);
      expect(receiver.received).toHaveLength(1);
      const { body, signature } = receiver.received[0]!;
      expect(JSON.parse(body)).toMatchObject({
        rule: event.rule,
        value: 0.2,
        threshold: 0.05,
        state: 'firing',
        time: event.time,
      });
      expect(signature).toBe(signBody('s3cret', body));
      expect(signature).not.toBe(signBody('other', body));
    } finally {
      await receiver.close();
    }
  });

  it('retries 5xx answers with exponential backoff and succeeds', async () => {
    const receiver = await startReceiver((n) => (n < 3 ? 500 : 200));
    const waits: number[] = [];
    try {
      await new WebhookChannel({
        url: receiver.url,
        retries: 3,
        backoffMs: 100,
        sleep: async (ms) => void waits.push(ms),
      }).send(event);
      expect(receiver.attempts()).toBe(3);
      expect(receiver.received).toHaveLength(1);
      expect(waits).toEqual([100, 200]);
    } finally {
      await receiver.close();
    }
  });

  it('gives up after the retry limit with an error naming the cause; 4xx is not retried', async () => {
    const failing = await startReceiver(() => 500);
    const rejecting = await startReceiver(() => 400);
    try {
      await expect(
        new WebhookChannel({ url: failing.url, retries: 2, backoffMs: 1, sleep: fastSleep }).send(event),
      ).rejects.toThrow(/after 3 attempt\(s\): answered 500/);
      expect(failing.attempts()).toBe(3);
      await expect(
        new WebhookChannel({ url: rejecting.url, retries: 2, sleep: fastSleep }).send(event),
      ).rejects.toThrow(/after 1 attempt/);
      expect(rejecting.attempts()).toBe(1);
    } finally {
      await failing.close();
      await rejecting.close();
    }
  });

  it('times out a receiver that never answers', async () => {
    const server = createServer(() => {}); // never responds
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      await expect(
        new WebhookChannel({ url: `http://127.0.0.1:${port}/`, timeoutMs: 100, retries: 0 }).send(event),
      ).rejects.toThrow(/timed out after 100 ms/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('channels are built from ALERT_CHANNELS specs', () => {
    const logger = { warn: () => {}, error: () => {} };
    const channels = createChannels(['log', 'webhook:https://hooks.example.com/x'], { logger });
    expect(channels.map((c) => c.name)).toEqual(['log', 'webhook:hooks.example.com']);
    expect(() => createChannels(['pager:x'], { logger })).toThrow(/unknown alert channel "pager"/);
  });
});

describe('alerts in the running app', () => {
  it('a breached rule reaches a webhook receiver once and resolves once; a dead receiver does not slow requests', async () => {
    const receiver = await startReceiver(() => 200);
    const lab = await createTestLab('sqlite', {
      ALERT_CHANNELS: `log,webhook:${receiver.url}`,
      ALERT_WEBHOOK_SECRET: 'k',
    });
    // The lab's own metric source: the error rate over the last 5 minutes of requests.
    lab.settings.alerts = [{ metric: 'error_rate', threshold: 0.5, for: 0, direction: 'above' }];
    const app = await buildApp(lab);
    await app.ready();
    try {
      const alerts = app.monitoring.alerts;
      // 5xx answers drive the error rate: feed the request metrics directly (the HTTP path is
      // covered by the request-metrics tests).
      for (let i = 0; i < 4; i++) {
        app.monitoring.metrics.record({ method: 'GET', route: '/x', statusCode: 500, durationMs: 5 });
      }
      expect((await alerts.evaluate()).map((e) => e.state)).toEqual(['firing']);
      expect(await alerts.evaluate()).toEqual([]);
      for (let i = 0; i < 10; i++) {
        expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
      }
      expect((await alerts.evaluate()).map((e) => e.state)).toEqual(['resolved']); // 4 errors / 14 requests
      await alerts.idle();
      expect(receiver.received.map((r) => JSON.parse(r.body).state)).toEqual(['firing', 'resolved']);
      expect(receiver.received[0]!.signature).toBe(signBody('k', receiver.received[0]!.body));
      const listed = (await app.inject({ url: '/alerts/history' })).json().alerts;
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ rule: 'error_rate > 0.5', state: 'resolved' });
      const status = (await app.inject({ url: '/alerts' })).json();
      expect(status.rules[0]).toMatchObject({ rule: 'error_rate > 0.5', state: 'ok' });
      expect(status.firing).toEqual([]);
    } finally {
      await app.close();
      await lab.cleanup();
      await receiver.close();
    }
  });

  it('requests are unaffected while the webhook keeps failing', async () => {
    const receiver = await startReceiver(() => 503);
    const lab = await createTestLab('sqlite', { ALERT_CHANNELS: `webhook:${receiver.url}` });
    lab.settings.alerts = [{ metric: 'request_rate', threshold: -1, for: 0, direction: 'above' }];
    const app = await buildApp(lab);
    await app.ready();
    try {
      expect(await app.monitoring.alerts.evaluate()).toHaveLength(1); // returns at once: delivery is in the background
      const started = performance.now();
      for (let i = 0; i < 20; i++) expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
      expect(performance.now() - started).toBeLessThan(900); // well under the first 1 s backoff
    } finally {
      await app.close(); // waits at most 2 s for the retrying delivery, then abandons it
      expect(receiver.attempts()).toBeGreaterThanOrEqual(1);
      await lab.cleanup();
      await receiver.close();
    }
  }, 20_000);
});
