import { canonicalSpeaker, parseTimestamp } from '../../conversations/speakers.js';
import { fileError, nameProblem } from '../files.js';
import type { ColumnMapping, LoadedRecord } from '../types.js';
import { dict, hasKey, own } from '../../core/dict.js';

/**
 * Rows of the generic formats (CSV, JSON Lines) -> records. A row with a conversation id is a
 * turn (and, when it is a labelled USER turn, also an example); a row without one is a labelled
 * example, which then needs a label.
 */
export interface Columns {
  text: string;
  label: string[];
  conversation: string;
  speaker: string;
  timestamp: string;
  split: string;
  /** Every mapped name: the other columns become metadata. */
  used: Set<string>;
}

export function columnsOf(mapping: ColumnMapping): Columns {
  const cols = {
    text: mapping.text ?? 'text',
    label: mapping.label ? [mapping.label] : ['label', 'intent'],
    conversation: mapping.conversation ?? 'conversation_id',
    speaker: mapping.speaker ?? 'speaker',
    timestamp: mapping.timestamp ?? 'timestamp',
    split: mapping.split ?? 'split',
  };
  return {
    ...cols,
    used: new Set([cols.text, cols.conversation, cols.speaker, cols.timestamp, cols.split, ...cols.label]),
  };
}

export interface RowContext {
  file: string;
  /** Messages name the place as "row 12" (CSV) or "line 12" (JSONL). */
  unit: 'row' | 'line';
  index: number;
  line: number;
}

function str(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

const rowError = (ctx: RowContext, problem: string) =>
  fileError(ctx.file, `${ctx.unit} ${ctx.index}: ${problem}`, ctx.line);

// Runs once per row of a log of millions: no closures are created per row.
export function rowRecords(row: Record<string, unknown>, cols: Columns, ctx: RowContext, out: LoadedRecord[]): void {
  // Column names are the user's (`--label-col constructor` is legal): `own` reads own values only.
  const text = str(own(row, cols.text));
  if (text === undefined) throw rowError(ctx, `missing text (column ${cols.text})`);
  let labelKey: string | undefined;
  for (const k of cols.label) if (labelKey === undefined && hasKey(row, k)) labelKey = k;
  const rawLabel = labelKey === undefined ? undefined : own(row, labelKey);
  // Absent, null or blank: unlabelled. Anything else must be a usable name (a string, visible).
  const blank = rawLabel === undefined || rawLabel === null || (typeof rawLabel === 'string' && rawLabel.trim() === '');
  const problem = blank ? null : nameProblem(rawLabel);
  if (problem) throw rowError(ctx, `${problem} (column ${labelKey})`);
  const label = blank ? '' : (rawLabel as string).trim();
  const split = (str(own(row, cols.split)) ?? '').trim() || null;
  let meta: Record<string, unknown> | undefined;
  for (const k of Object.keys(row)) {
    const v = row[k];
    if (cols.used.has(k) || v === '' || v === undefined) continue;
    (meta ??= dict())[k] = v;
  }

  const conversationValue = own(row, cols.conversation);
  if (conversationValue === undefined) {
    if (!label) throw rowError(ctx, `empty label (column ${labelKey ?? cols.label.join(' or ')})`);
    out.push({ kind: 'example', split: split ?? 'train', text, label, metadata: meta });
    return;
  }
  const conversation = (str(conversationValue) ?? '').trim();
  if (conversation === '') throw rowError(ctx, `empty conversation id (column ${cols.conversation})`);
  const speakerText = (str(own(row, cols.speaker)) ?? '').trim();
  if (speakerText === '') throw rowError(ctx, `empty speaker (column ${cols.speaker})`);
  const ts = parseTimestamp(own(row, cols.timestamp));
  if (ts === undefined) {
    throw rowError(
      ctx,
      `timestamp ${JSON.stringify(own(row, cols.timestamp))} is not ISO 8601 or epoch seconds/milliseconds (column ${cols.timestamp})`,
    );
  }
  const speaker = canonicalSpeaker(speakerText);
  const intent = label ? label : null;
  out.push({ kind: 'turn', conversation, split, speaker, text, intent, ts, metadata: meta });
  if (speaker === 'USER' && intent) {
    out.push({ kind: 'example', split: split ?? 'train', text, label: intent, metadata: { conversation } });
  }
}
