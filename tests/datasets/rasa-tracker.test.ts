import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fallbackAnalysis, FALLBACK_LABELS, DEFAULT_THRESHOLD } from '../../src/analytics/fallback.js';
import { flowAnalysis } from '../../src/analytics/flows.js';
import { getConversation, listConversations } from '../../src/conversations/repository.js';
import { ingestDataset } from '../../src/datasets/ingest.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import { fixtures } from './interop-helpers.js';

interface RawEvent {
  event: string;
  timestamp?: number;
  text?: string;
  parse_data?: { intent?: { name: string; confidence: number } };
}

/**
 * The trackers read straight from the fixture files, independently of the loader: sessions split at
 * session_started/restart (empty ones dropped), user and bot events, the user events' predictions.
 */
function rawSessions() {
  const dir = path.join(fixtures, 'rasa-tracker');
  const trackers = [
    JSON.parse(readFileSync(path.join(dir, 'alice.json'), 'utf8')),
    ...readFileSync(path.join(dir, 'more.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l)),
  ] as Array<{ sender_id: string; events: RawEvent[] }>;
  const sessions: Array<{ id: string; events: RawEvent[] }> = [];
  for (const t of trackers) {
    let current: RawEvent[] = [];
    let n = 0;
    const close = () => {
      if (current.length > 0) sessions.push({ id: `${t.sender_id}#${++n}`, events: current });
      current = [];
    };
    for (const e of t.events) {
      if (e.event === 'session_started' || e.event === 'restart') close();
      else if (e.event === 'user' || e.event === 'bot') current.push(e);
    }
    close();
  }
  return sessions;
}

describeEachDialect('Rasa tracker logs', (dialect) => {
  let lab: TestLab;
  let datasetId: number;
  beforeAll(async () => {
    lab = await createTestLab(dialect);
    datasetId = (await ingestDataset(lab, { type: 'rasa-tracker', path: path.join(fixtures, 'rasa-tracker') })).dataset
      .id;
  });
  afterAll(async () => lab?.cleanup());

  it('stores user and bot events as turns, one conversation per session, with predictions and timestamps', async () => {
    const raw = rawSessions();
    const page = await listConversations(lab, { dataset_id: datasetId, limit: 100 });
    expect(page.items.map((c) => c.external_id).sort()).toEqual(raw.map((s) => s.id).sort());
    expect(raw.map((s) => s.id)).toEqual(['alice#1', 'alice#2', 'bob#1', 'carol#1']);
    for (const s of raw) {
      const c = await getConversation(lab, page.items.find((x) => x.external_id === s.id)!.id);
      expect(c.turns.map((t) => [t.speaker, t.text, t.ts])).toEqual(
        s.events.map((e) => [e.event === 'user' ? 'USER' : 'SYSTEM', e.text ?? '', Math.round(e.timestamp! * 1000)]),
      );
    }
    const turns = await lab.db.kysely
      .selectFrom('turns')
      .select(['text', 'intent', 'predicted_intent', 'confidence', 'metadata'])
      .where('dataset_id', '=', datasetId)
      .orderBy('id')
      .execute();
    const second = turns.find((t) => t.text === "what's in my savings account")!;
    expect(second).toMatchObject({ intent: null, predicted_intent: 'check_balance', confidence: 0.8711 });
    const meta = JSON.parse(second.metadata!);
    expect(meta.intent_ranking).toEqual([
      { name: 'check_balance', confidence: 0.8711 },
      { name: 'transfer_money', confidence: 0.1 },
    ]);
    expect(meta.entities[0]).toMatchObject({ entity: 'account_type', value: 'savings' });
    const reply = JSON.parse(turns.find((t) => t.text === 'You have 1,204.50 in savings.')!.metadata!);
    expect(reply).toEqual({ actions: ['action_check_balance'] });
    const buttons = JSON.parse(turns.find((t) => t.text === 'How much?')!.metadata!);
    expect(buttons.actions).toEqual(['transfer_form']);
    expect(buttons.data.buttons).toHaveLength(1);
  });

  it('flows and fallback equal the counts computed from the raw trackers', async () => {
    const raw = rawSessions();
    // Flows: each session's user predictions with consecutive repeats collapsed.
    const paths = new Map<string, number>();
    const links = new Map<string, number>();
    for (const s of raw) {
      const steps: string[] = [];
      for (const e of s.events) {
        const intent = e.event === 'user' ? e.parse_data?.intent?.name : undefined;
        if (intent && steps[steps.length - 1] !== intent) steps.push(intent);
      }
      if (steps.length === 0) continue;
      paths.set(steps.join(' > '), (paths.get(steps.join(' > ')) ?? 0) + 1);
      for (let i = 1; i < steps.length; i++) {
        const key = `${steps[i - 1]} -> ${steps[i]}`;
        links.set(key, (links.get(key) ?? 0) + 1);
      }
    }
    const flows = await flowAnalysis(lab, { datasetId, granularity: 'day' }, { top: 50 });
    expect(flows.conversations).toBe(raw.length);
    expect(new Map(flows.paths.map((p) => [p.path.join(' > '), p.count]))).toEqual(paths);
    expect(new Map(flows.links.map((l) => [`${l.source} -> ${l.target}`, l.count]))).toEqual(links);

    // Fallback: user turns under the confidence threshold or predicted as a fallback label.
    const userTurns = raw.flatMap((s) => s.events.filter((e) => e.event === 'user'));
    const fallback = userTurns.filter(
      (e) =>
        e.parse_data!.intent!.confidence < DEFAULT_THRESHOLD ||
        FALLBACK_LABELS.includes(e.parse_data!.intent!.name.toLowerCase()),
    );
    const result = await fallbackAnalysis(lab, { datasetId, granularity: 'day' });
    expect(result.turns).toBe(userTurns.length);
    expect(result.scored_turns).toBe(userTurns.length);
    expect(result.fallback).toBe(fallback.length);
    expect(fallback.length).toBe(3); // nlu_fallback 0.31, transfer_money 0.44, out_of_scope
    expect(result.lowest_confidence[0]).toMatchObject({
      text: 'and the other one?',
      predicted_intent: 'nlu_fallback',
      confidence: 0.31,
    });
  });
});
