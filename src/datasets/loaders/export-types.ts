/** The formats a dataset version can be exported in, and the shape every writer takes. */
export const EXPORT_FORMATS = ['rasa', 'dialogflow', 'lex', 'csv', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** A labelled example as stored (raw text, not the preprocessed one), in id order. */
export interface ExportExample {
  split: string;
  text: string;
  label: string;
  metadata: Record<string, unknown> | null;
}

export interface ExportInput {
  /** Dataset name, used for the bot/agent name. */
  name: string;
  examples: ExportExample[];
  /** Dataset-level metadata kept by an import in a platform format (may be from another format). */
  metadata: Record<string, unknown> | null;
}

/** One format's writer: same input, same bytes. */
export interface FormatWriter {
  format: ExportFormat;
  extension: string;
  contentType: string;
  write(input: ExportInput): Uint8Array;
}

/** The labels in a stable order (code-unit order), with their examples in id order. */
export function byLabel(examples: ExportExample[]): Map<string, ExportExample[]> {
  const groups = new Map<string, ExportExample[]>();
  for (const e of examples) {
    const list = groups.get(e.label);
    if (list) list.push(e);
    else groups.set(e.label, [e]);
  }
  return new Map([...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** An object from stored JSON metadata, or undefined (never trusts the shape). */
export function objectAt(value: unknown, key: string): Record<string, unknown> | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const v = (value as Record<string, unknown>)[key];
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
