/**
 * End to end: train tfidf-linear on BANKING77, serve predictions through /intents/predict, and
 * watch the model alerts reach a real webhook receiver on 127.0.0.1: quiet for in-distribution
 * traffic, firing once for a shifted stream (a handful of intents plus out-of-domain SGD user
 * turns), resolving once when in-distribution traffic resumes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp, type LabApp } from '../../src/api/app.js';
import { openLab, type LabContext } from '../../src/lab/context.js';
import { ingestDataset } from '../../src/datasets/ingest.js';
import { createRng, shuffleInPlace } from '../../src/nlp/random.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, describeEachDialect, testSettings, type TestDatabase } from '../support/databases.js';
import { banking77Dir } from '../training/support.js';

const sgdDir = path.resolve(banking77Dir, '../sgd');

function banking77Test(): Array<{ text: string; category: string }> {
  return parse(readFileSync(path.join(banking77Dir, 'test.csv'), 'utf8'), { columns: true }) as Array<{
    text: string;
    category: string;
  }>;
}

function sgdUserTurns(limit: number): string[] {
  const dialogues = JSON.parse(readFileSync(path.join(sgdDir, 'test/dialogues_001.json'), 'utf8')) as Array<{
    turns: Array<{ speaker: string; utterance: string }>;
  }>;
  const out: string[] = [];
  for (const d of dialogues) {
    for (const t of d.turns) if (t.speaker === 'USER' && t.utterance.trim().length > 0) out.push(t.utterance);
  }
  return out.slice(0, limit);
}

function shuffled<T>(items: T[], seed: number): T[] {
  const copy = [...items];
  shuffleInPlace(copy, createRng(seed));
  return copy;
}

interface Received {
  state: string;
  metric: string;
  message: string;
  details?: { model_version?: number; top_moved_intents?: Array<{ intent: string; delta: number }> };
}

async function startReceiver() {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body) as Received);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describeEachDialect('model drift alerts end to end', (dialect) => {
  let dir: string;
  let database: TestDatabase;
  let lab: LabContext;
  let app: LabApp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver();
    dir = mkdtempSync(path.join(tmpdir(), 'chatlab-drift-'));
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({
        alerts: [
          { metric: 'model_intent_drift_js', threshold: 0.3, for: 0 },
          { metric: 'model_fallback_rate', threshold: 0.2, for: 0 },
        ],
      }),
    );
    database = await createTestDatabase(dialect, dir);
    lab = await openLab(
      testSettings(dir, {
        DATABASE_URL: database.url,
        ALERT_CHANNELS: `webhook:${receiver.url}`,
        RATE_LIMIT_PER_MINUTE: '100000',
        PREDICTION_LOG_FLUSH_MS: '60000',
      }),
    );
    app = await buildApp(lab);
    await app.ready();
    const { dataset } = await ingestDataset(lab, { type: 'banking77', path: banking77Dir, name: 'banking77' });
    const run = await app.inject({
      method: 'POST',
      url: '/training/run',
      payload: { dataset_id: dataset.id, model_type: 'tfidf-linear', seed: 42, alias: 'production' },
    });
    expect(run.statusCode, run.body).toBe(200);
  }, 600_000);

  afterAll(async () => {
    await app?.close();
    await lab?.db.close();
    await database?.drop();
    await receiver?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const send = async (texts: string[]) => {
    for (let i = 0; i < texts.length; i += 100) {
      const res = await app.inject({
        method: 'POST',
        url: '/intents/predict',
        payload: { texts: texts.slice(i, i + 100), session_id: `s-${i}` },
      });
      expect(res.statusCode, res.body).toBe(200);
    }
    await app.monitoring.predictions.flush();
  };
  /** One evaluation pass, then every delivery it started has reached the receiver (or given up). */
  const evaluate = async () => {
    const events = await app.monitoring.alerts.evaluate();
    await app.monitoring.alerts.idle(10_000);
    return events;
  };
  const monitoring = async (query = 'window=1h') => {
    const res = await app.inject({ method: 'GET', url: `/monitoring/model?${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };

  it('stores a baseline at registration and says "not enough data" for a small window', async () => {
    let view = await monitoring();
    expect(view.model.version).toBe(1);
    expect(view.baseline.examples).toBeGreaterThan(900);
    expect(view.status).toBe('not_enough_data');

    await send(
      banking77Test()
        .slice(0, 50)
        .map((r) => r.text),
    );
    view = await monitoring();
    expect(view.predictions).toBe(50);
    expect(view.status).toBe('not_enough_data');
    expect(view.signals.intent_drift.status).toBe('not_enough_data');
    expect(view.signals.intent_drift.js_distance).toBeNull();
    expect(view.signals.fallback_rate.status).toBe('not_enough_data');
    expect(await evaluate()).toEqual([]);
  });

  it('in-distribution traffic (the BANKING77 test set) raises no alert', async () => {
    await send(shuffled(banking77Test(), 1).map((r) => r.text));
    expect(await evaluate()).toEqual([]);
    expect(receiver.received).toEqual([]);
    const view = await monitoring();
    expect(view.signals.intent_drift.status).toBe('ok');
    expect(view.signals.fallback_rate.status).toBe('ok');
    expect(view.signals.embedding_drift.status).toBe('ok');
    console.log(
      `[${dialect}] in-distribution: JS ${view.signals.intent_drift.js_distance}, PSI ${view.signals.intent_drift.psi}, ` +
        `fallback ${view.signals.fallback_rate.value} (baseline ${view.signals.fallback_rate.baseline}), ` +
        `KS ${view.signals.confidence.ks_statistic}, MMD² ${view.signals.embedding_drift.mmd2}, OOV ${view.signals.oov_rate.value}`,
    );
  });

  it('a shifted stream fires the intent-drift and fallback alerts once each, naming the version and the moved intents', async () => {
    const few = new Set(['card_arrival', 'lost_or_stolen_card', 'exchange_rate', 'top_up_failed', 'pin_blocked']);
    const shifted = shuffled(
      [
        ...banking77Test()
          .filter((r) => few.has(r.category))
          .map((r) => r.text),
        ...sgdUserTurns(1000),
      ],
      2,
    );
    expect(shifted.length).toBeGreaterThan(900);
    await send(shifted);
    const shiftedView = await monitoring();
    console.log(`[${dialect}] shifted stream: fallback ${shiftedView.signals.fallback_rate.value}`);
    const events = await evaluate();
    expect(events.map((e) => `${e.metric}:${e.state}`).sort()).toEqual([
      'model_fallback_rate:firing',
      'model_intent_drift_js:firing',
    ]);
    expect(receiver.received).toHaveLength(2);
    for (const r of receiver.received) {
      expect(r.state).toBe('firing');
      expect(r.details?.model_version).toBe(1);
      expect(r.details?.top_moved_intents?.length).toBeGreaterThan(0);
      expect(r.message).toMatch(/model intent-classifier v1; top moved intents: /);
    }
    // Still in breach: nothing new is sent.
    expect(await evaluate()).toEqual([]);
    expect(receiver.received).toHaveLength(2);

    // The hour's view mixes the earlier in-distribution traffic with the shifted stream.
    const view = await monitoring();
    expect(view.status).toBe('warn');
    // The hour mixes 3,080 in-distribution predictions with the shifted ones: the fallback rate rises
    // well above the in-distribution window's, though not past the warn margin over the baseline.
    expect(view.signals.fallback_rate.value).toBeGreaterThan(0.2);
    expect(view.signals.embedding_drift.status).toBe('warn');
    expect(view.signals.oov_rate.value).toBeGreaterThan(view.signals.oov_rate.baseline);
    console.log(
      `[${dialect}] shifted (1h window): JS ${view.signals.intent_drift.js_distance}, PSI ${view.signals.intent_drift.psi}, ` +
        `fallback ${view.signals.fallback_rate.value}, KS ${view.signals.confidence.ks_statistic}, ` +
        `MMD² ${view.signals.embedding_drift.mmd2}, OOV ${view.signals.oov_rate.value}, ` +
        `top moved ${view.signals.intent_drift.top_moved.map((m: { intent: string }) => m.intent).join(',')}`,
    );
  });

  it('resolves once each when in-distribution traffic resumes', async () => {
    await send(
      shuffled(banking77Test(), 3)
        .slice(0, 1200)
        .map((r) => r.text),
    );
    const events = await evaluate();
    expect(events.map((e) => `${e.metric}:${e.state}`).sort()).toEqual([
      'model_fallback_rate:resolved',
      'model_intent_drift_js:resolved',
    ]);
    expect(await evaluate()).toEqual([]);
    expect(receiver.received.map((r) => `${r.metric}:${r.state}`).sort()).toEqual([
      'model_fallback_rate:firing',
      'model_fallback_rate:resolved',
      'model_intent_drift_js:firing',
      'model_intent_drift_js:resolved',
    ]);
    const history = await app.inject({ method: 'GET', url: '/alerts/history' });
    expect(history.json().alerts ?? history.json()).toBeTruthy();
  });

  it('pages the prediction log with filters', async () => {
    const first = await app.inject({ method: 'GET', url: '/monitoring/model/predictions?limit=5' });
    expect(first.statusCode, first.body).toBe(200);
    const page = first.json();
    expect(page.predictions).toHaveLength(5);
    expect(page.next_cursor).toBe(page.predictions[4].id);
    const next = (
      await app.inject({ method: 'GET', url: `/monitoring/model/predictions?limit=5&cursor=${page.next_cursor}` })
    ).json();
    expect(next.predictions[0].id).toBeLessThan(page.predictions[4].id);
    const fallbacks = (
      await app.inject({ method: 'GET', url: '/monitoring/model/predictions?fallback=true&limit=20&version=1' })
    ).json();
    expect(fallbacks.predictions.length).toBeGreaterThan(0);
    expect(fallbacks.predictions.every((p: { fallback: boolean }) => p.fallback)).toBe(true);
    expect(fallbacks.predictions[0].top).toHaveLength(3);
  });

  it('answers bad input with the error shape', async () => {
    const unknown = await app.inject({ method: 'GET', url: '/monitoring/model?version=99' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('NOT_FOUND');
    const badWindow = await app.inject({ method: 'GET', url: '/monitoring/model?window=yesterday' });
    expect(badWindow.statusCode).toBe(400);
    expect(badWindow.json().error.details[0].field).toBe('querystring.window');
    const badTime = await app.inject({ method: 'GET', url: '/monitoring/model/predictions?from=soon' });
    expect(badTime.statusCode).toBe(400);
    expect(badTime.json().error.details[0].field).toBe('querystring.from');
  });

  it('chatlab monitor model prints the same signals, and refuses bad input', () => {
    const env = { DATABASE_URL: database.url };
    const json = runCli(['monitor', 'model', '--window', '1h', '--json'], { cwd: dir, env });
    expect(json.status, json.stderr).toBe(0);
    const view = JSON.parse(json.stdout);
    expect(view.model.version).toBe(1);
    expect(view.predictions).toBeGreaterThan(1000);
    const human = runCli(['monitor', 'model', '--window', '1h'], { cwd: dir, env });
    expect(human.status, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/intent drift/);
    expect(human.stdout).toMatch(/embedding drift/);
    const badWindow = runCli(['monitor', 'model', '--window', 'yesterday'], { cwd: dir, env });
    expect(badWindow.status).toBe(2);
    expect(badWindow.stderr).toMatch(/--window must be a duration/);
    const unknown = runCli(['monitor', 'model', '--version', '99'], { cwd: dir, env });
    expect(unknown.status).toBe(1);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toMatch(/99/);
  });
});
