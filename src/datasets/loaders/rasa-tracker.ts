import { dict } from '../../core/dict.js';
import path from 'node:path';
import { fileError, jsonLines, parseJson, readUtf8 } from '../files.js';
import type { LoadedRecord, TurnRecord } from '../types.js';
import { walk } from './bundle.js';
import { kindOf, missing } from './locate.js';
import type { Loader } from './types.js';

const LAYOUT =
  'expected Rasa tracker store dumps: the JSON of GET /conversations/<id>/tracker (one tracker, or a JSON array of ' +
  'them), a folder of such .json files, or a .jsonl file with one tracker per line; see https://rasa.com/docs/rasa/pages/http-api';

interface RasaEvent {
  event?: unknown;
  timestamp?: unknown;
  text?: unknown;
  name?: unknown;
  parse_data?: {
    intent?: { name?: unknown; confidence?: unknown } | null;
    entities?: unknown;
    intent_ranking?: unknown;
  };
  input_channel?: unknown;
  message_id?: unknown;
  data?: unknown;
  metadata?: unknown;
}

/** Events that end one session and start the next: each session is its own conversation. */
const SESSION_BOUNDARIES = new Set(['session_started', 'restart']);

/**
 * Rasa tracker dumps as conversation logs. `user` events become USER turns with the bot's own
 * prediction (parse_data.intent name and confidence; the intent ranking and entities as metadata),
 * `bot` events SYSTEM turns; `action` events are listed on the next turn (`metadata.actions`);
 * `session_started` and `restart` start a new conversation `<sender_id>#<n>`. Other events (slots,
 * forms, reminders) are not stored.
 */
export const rasaTrackerLoader: Loader = {
  type: 'rasa-tracker',
  layout: LAYOUT,
  locate(p) {
    if (kindOf(p, LAYOUT) === 'file') return [p];
    const files = walk(p, (rel) => /\.(json|jsonl|ndjson)$/i.test(rel), 2);
    if (files.length === 0) throw missing(path.join(p, '*.json'), LAYOUT);
    return files;
  },
  async *read({ files, onBytes }) {
    const senders = new Map<string, string>();
    for (const file of files) {
      if (/\.(jsonl|ndjson)$/i.test(file)) {
        for await (const lines of jsonLines(file, onBytes)) {
          yield lines.flatMap(({ line, value }) => trackerRecords(file, `line ${line}`, line, value, senders));
        }
        continue;
      }
      const text = await readUtf8(file);
      onBytes(Buffer.byteLength(text));
      if (text.trim() === '') throw fileError(file, 'the file is empty');
      const value = parseJson(file, text);
      const trackers = Array.isArray(value) ? value : [value];
      yield trackers.flatMap((t, i) =>
        trackerRecords(file, Array.isArray(value) ? `tracker #${i + 1}` : 'tracker', undefined, t, senders),
      );
    }
  },
};

const seconds = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v * 1000) : null);
const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

function trackerRecords(
  file: string,
  where: string,
  line: number | undefined,
  value: unknown,
  senders: Map<string, string>,
): LoadedRecord[] {
  const fail = (problem: string) => fileError(file, `${where}: ${problem}`, line);
  const tracker = value as { sender_id?: unknown; events?: unknown } | null;
  if (!tracker || typeof tracker !== 'object' || Array.isArray(tracker))
    throw fail('must be a JSON object (a tracker)');
  const sender =
    str(tracker.sender_id) ?? (typeof tracker.sender_id === 'number' ? String(tracker.sender_id) : undefined);
  if (!sender) throw fail('has no sender_id');
  if (!Array.isArray(tracker.events)) throw fail(`tracker ${sender} has no events list`);
  const seen = senders.get(sender);
  if (seen) throw fail(`sender_id ${JSON.stringify(sender)} appears twice (first in ${seen}); dump each tracker once`);
  senders.set(sender, `${file} ${where}`);

  const records: TurnRecord[] = [];
  let session = 1;
  let sessionHasTurns = false;
  let actions: string[] = [];
  (tracker.events as RasaEvent[]).forEach((e, i) => {
    if (!e || typeof e !== 'object' || typeof e.event !== 'string') throw fail(`event #${i + 1} has no "event" type`);
    if (SESSION_BOUNDARIES.has(e.event)) {
      if (sessionHasTurns) session++;
      sessionHasTurns = false;
      actions = [];
      return;
    }
    if (e.event === 'action') {
      const name = str(e.name);
      if (name && name !== 'action_listen' && name !== 'action_session_start') actions.push(name);
      return;
    }
    if (e.event !== 'user' && e.event !== 'bot') return;
    const metadata: Record<string, unknown> = dict();
    if (actions.length > 0) metadata.actions = actions;
    actions = [];
    const conversation = `${sender}#${session}`;
    const base = {
      kind: 'turn' as const,
      conversation,
      split: null,
      text: str(e.text) ?? '',
      intent: null,
      ts: seconds(e.timestamp),
      conversationMetadata: sessionHasTurns ? undefined : { sender_id: sender, session },
    };
    sessionHasTurns = true;
    if (e.event === 'user') {
      const parse = e.parse_data ?? {};
      const intent = parse.intent ?? undefined;
      const confidence = typeof intent?.confidence === 'number' ? intent.confidence : null;
      if (Array.isArray(parse.intent_ranking)) metadata.intent_ranking = parse.intent_ranking;
      if (Array.isArray(parse.entities) && parse.entities.length > 0) metadata.entities = parse.entities;
      if (e.message_id !== undefined) metadata.message_id = e.message_id;
      if (e.input_channel !== undefined && e.input_channel !== null) metadata.input_channel = e.input_channel;
      records.push({
        ...base,
        speaker: 'USER',
        predictedIntent: str(intent?.name) ?? null,
        confidence,
        metadata,
      });
    } else {
      if (e.data && typeof e.data === 'object' && Object.values(e.data).some((v) => v !== null && v !== undefined)) {
        metadata.data = e.data;
      }
      const utter = (e.metadata as { utter_action?: unknown } | undefined)?.utter_action;
      if (typeof utter === 'string') metadata.utter_action = utter;
      records.push({ ...base, speaker: 'SYSTEM', metadata });
    }
  });
  return records;
}
