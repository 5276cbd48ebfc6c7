import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileError, nameProblem, parseJson, readUtf8 } from '../files.js';
import type { LoadedRecord } from '../types.js';
import { kindOf, missing } from './locate.js';
import type { Loader } from './types.js';
import { dict } from '../../core/dict.js';

const LAYOUT =
  'expected a folder of dialogues_*.json files (optionally inside train/, dev/, test/ subfolders) with schema.json, ' +
  'the layout of the Schema-Guided Dialogue dataset (https://github.com/google-research-datasets/dstc8-schema-guided-dialogue)';

const SPLIT_DIRS = ['train', 'dev', 'test'];
const DIALOGUE_FILE = /^dialogues_.*\.json$/;

interface SgdFrame {
  service?: string;
  actions?: Array<{ act?: string; slot?: string; values?: unknown[] }>;
  state?: { active_intent?: string; slot_values?: Record<string, unknown> };
}
interface SgdTurn {
  speaker?: string;
  utterance?: string;
  frames?: SgdFrame[];
}
interface SgdDialogue {
  dialogue_id?: string;
  services?: string[];
  turns?: SgdTurn[];
}

/**
 * Schema-Guided Dialogue: every dialogue becomes a conversation; USER turns also become examples
 * labelled with the frame's active intent ("NONE" turns are kept and marked `none_intent`).
 */
export const sgdLoader: Loader = {
  type: 'sgd',
  layout: LAYOUT,
  locate(p) {
    if (kindOf(p, LAYOUT) === 'file') return [p];
    const dirs = [
      p,
      ...SPLIT_DIRS.map((d) => path.join(p, d)).filter((d) => existsSync(d) && statSync(d).isDirectory()),
    ];
    const dialogues = dirs.flatMap((d) =>
      readdirSync(d)
        .filter((f) => DIALOGUE_FILE.test(f))
        .sort()
        .map((f) => path.join(d, f)),
    );
    if (dialogues.length === 0) throw missing(path.join(p, 'dialogues_*.json'), LAYOUT);
    const schemas = dirs.map((d) => path.join(d, 'schema.json')).filter((f) => existsSync(f));
    if (schemas.length === 0) throw missing(path.join(p, 'schema.json'), LAYOUT);
    return [...schemas, ...dialogues];
  },
  async *read({ path: root, files, onBytes }) {
    // split/dialogue_id -> the file it came from: the same id twice in a split is an error, not a merge.
    const seen = new Map<string, string>();
    for (const file of files) {
      const text = await readUtf8(file);
      onBytes(Buffer.byteLength(text));
      if (path.basename(file) === 'schema.json') {
        // Read so a broken schema is reported; its services describe, they do not label.
        if (!Array.isArray(parseJson(file, text))) throw fileError(file, 'must be a JSON array of services');
        continue;
      }
      if (text.trim() === '') throw fileError(file, 'the file is empty');
      const dialogues = parseJson(file, text);
      if (!Array.isArray(dialogues)) throw fileError(file, 'must be a JSON array of dialogues');
      const split = splitOf(root, file);
      yield dialogues.flatMap((d, i) => dialogueRecords(file, i, d as SgdDialogue, split, seen));
    }
  },
};

function splitOf(root: string, file: string): string {
  const dir = path.basename(path.dirname(file));
  if (path.resolve(path.dirname(file)) !== path.resolve(root) && SPLIT_DIRS.includes(dir)) return dir;
  return SPLIT_DIRS.includes(path.basename(root)) ? path.basename(root) : 'train';
}

/** The active intent of a USER turn: the first frame whose intent is not NONE, else NONE. */
export function activeIntent(turn: SgdTurn): string | null {
  const intents = (turn.frames ?? []).map((f) => f.state?.active_intent).filter((i): i is string => !!i);
  if (intents.length === 0) return null;
  return intents.find((i) => i !== 'NONE') ?? 'NONE';
}

function dialogueRecords(
  file: string,
  index: number,
  d: SgdDialogue,
  split: string,
  seen: Map<string, string>,
): LoadedRecord[] {
  if (!d || typeof d.dialogue_id !== 'string' || !Array.isArray(d.turns)) {
    throw fileError(file, `dialogue #${index + 1} lacks dialogue_id or turns`);
  }
  const records: LoadedRecord[] = [];
  const conversation = `${split}/${d.dialogue_id}`;
  const earlier = seen.get(conversation);
  if (earlier !== undefined) {
    const where = earlier === file ? 'earlier in this file' : `also in ${path.basename(earlier)}`;
    throw fileError(
      file,
      `dialogue ${d.dialogue_id} appears twice in split ${split} (${where}); dialogue ids must be unique within a split`,
    );
  }
  seen.set(conversation, file);
  d.turns.forEach((turn, idx) => {
    if (typeof turn.utterance !== 'string' || typeof turn.speaker !== 'string') {
      throw fileError(file, `dialogue ${d.dialogue_id} turn ${idx}: lacks speaker or utterance`);
    }
    const speaker = turn.speaker.toUpperCase();
    const intent = speaker === 'USER' ? activeIntent(turn) : null;
    const problem = intent === null ? null : nameProblem(intent, 'active_intent');
    if (problem) throw fileError(file, `dialogue ${d.dialogue_id} turn ${idx}: ${problem}`);
    const frames = turn.frames ?? [];
    const metadata: Record<string, unknown> = {
      services: frames.map((f) => f.service),
      acts: frames.flatMap((f) =>
        (f.actions ?? []).map((a) => ({ act: a.act, slot: a.slot, values: a.values, service: f.service })),
      ),
    };
    const slotValues = Object.assign(dict(), ...frames.map((f) => f.state?.slot_values ?? {}));
    if (Object.keys(slotValues).length > 0) metadata.slot_values = slotValues;
    if (intent === 'NONE') metadata.none_intent = true;
    records.push({
      kind: 'turn',
      conversation,
      split,
      speaker,
      text: turn.utterance,
      intent,
      ts: null,
      metadata,
      conversationMetadata: idx === 0 ? { dialogue_id: d.dialogue_id, services: d.services ?? [] } : undefined,
    });
    if (intent !== null) {
      records.push({
        kind: 'example',
        split,
        text: turn.utterance,
        label: intent,
        metadata: {
          dialogue_id: d.dialogue_id,
          turn: idx,
          service: frames.find((f) => f.state?.active_intent === intent)?.service,
          ...(intent === 'NONE' ? { none_intent: true } : {}),
        },
      });
    }
  });
  return records;
}
