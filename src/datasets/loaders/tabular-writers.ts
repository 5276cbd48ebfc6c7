import { stringify } from 'csv-stringify/sync';
import type { ExportExample, FormatWriter } from './export-types.js';

/**
 * The generic formats, in the layouts the csv and jsonl loaders read back: `text,label,split`.
 * Texts are written exactly as stored (no spreadsheet-formula neutralising, unlike the report
 * CSVs): this file is training data meant to be imported again, and `-` or `=` may start a text.
 */
export const csvWriter: FormatWriter = {
  format: 'csv',
  extension: 'csv',
  contentType: 'text/csv; charset=utf-8',
  write({ examples }) {
    const text = stringify(
      examples.map((e) => [e.text, e.label, e.split]),
      { header: true, columns: ['text', 'label', 'split'], quoted_match: /[\r\n]/ },
    );
    return new TextEncoder().encode(text);
  },
};

// Keys the jsonl loader reads itself; metadata under these names would change the meaning of the row.
const RESERVED = new Set(['text', 'label', 'intent', 'split', 'conversation_id', 'speaker', 'timestamp']);

/** One object per line: text, label, split, then the example's metadata keys (re-imported as metadata). */
export const jsonlWriter: FormatWriter = {
  format: 'jsonl',
  extension: 'jsonl',
  contentType: 'application/x-ndjson; charset=utf-8',
  write({ examples }) {
    const lines = examples.map((e: ExportExample) => {
      const row: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      row.text = e.text;
      row.label = e.label;
      row.split = e.split;
      for (const [k, v] of Object.entries(e.metadata ?? {})) if (!RESERVED.has(k)) row[k] = v;
      return JSON.stringify(row);
    });
    return new TextEncoder().encode(lines.map((l) => `${l}\n`).join(''));
  },
};
