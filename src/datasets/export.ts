import type { LabContext } from '../lab/context.js';
import { ValidationError } from '../core/errors.js';
import { dialogflowWriter } from './loaders/dialogflow.js';
import { EXPORT_FORMATS, type ExportExample, type ExportFormat, type FormatWriter } from './loaders/export-types.js';
import { lexWriter } from './loaders/lex.js';
import { rasaWriter } from './loaders/rasa.js';
import { csvWriter, jsonlWriter } from './loaders/tabular-writers.js';
import { getDatasetRow } from './repository.js';

export { EXPORT_FORMATS, type ExportFormat } from './loaders/export-types.js';

/** One writer per format; a new format adds one line here. */
const WRITERS: Record<ExportFormat, FormatWriter> = {
  rasa: rasaWriter,
  dialogflow: dialogflowWriter,
  lex: lexWriter,
  csv: csvWriter,
  jsonl: jsonlWriter,
};

export interface ExportedFile {
  filename: string;
  contentType: string;
  bytes: Uint8Array;
  dataset: { id: number; name: string; version: number };
  /** Labelled examples written. */
  examples: number;
  /** Examples without a label, which no training format can carry. */
  skipped_unlabelled: number;
}

export function writerFor(format: string): FormatWriter {
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new ValidationError(`unknown export format "${format}"; use one of ${EXPORT_FORMATS.join(', ')}`, [
      { field: 'format', problem: `must be one of ${EXPORT_FORMATS.join(', ')}` },
    ]);
  }
  return WRITERS[format as ExportFormat];
}

/**
 * A dataset version in a bot platform's training format (or CSV/JSONL). Same version, same bytes:
 * labels in code-unit order, examples in id order, zip entries sorted with a fixed timestamp.
 * Dataset metadata (Rasa synonyms, the Dialogflow agent, the Lex bot) comes from this version, or,
 * for a version made inside the lab without it, from the latest earlier version of the same name.
 */
export async function exportDataset(lab: LabContext, idOrName: string | number, format: string): Promise<ExportedFile> {
  const writer = writerFor(format);
  const row = await getDatasetRow(lab, idOrName);
  const rows = await lab.db.kysely
    .selectFrom('examples')
    .select(['split', 'text', 'label', 'metadata'])
    .where('dataset_id', '=', row.id)
    .orderBy('id', 'asc')
    .execute();
  const examples: ExportExample[] = [];
  for (const r of rows) {
    if (r.label === null) continue;
    examples.push({
      split: r.split,
      text: r.text,
      label: r.label,
      metadata: r.metadata ? (JSON.parse(r.metadata) as Record<string, unknown>) : null,
    });
  }
  if (examples.length === 0) {
    throw new ValidationError(
      `dataset ${row.id} (${row.name} v${row.version}) has no labelled examples to export` +
        (row.turn_count > 0 ? ' (conversation logs are not exported; export a labelled version)' : ''),
      [{ field: 'id', problem: 'no labelled examples' }],
    );
  }
  const { metadata } = await datasetMetadata(lab, row);
  const bytes = writer.write({ name: row.name, examples, metadata });
  return {
    filename: `${row.name.replace(/[^\w.-]+/g, '_')}-v${row.version}-${writer.format}.${writer.extension}`,
    contentType: writer.contentType,
    bytes,
    dataset: { id: row.id, name: row.name, version: row.version },
    examples: examples.length,
    skipped_unlabelled: rows.length - examples.length,
  };
}

export interface DatasetMetadataView {
  dataset_id: number;
  /** What an import kept about the dataset as a whole (e.g. `rasa.synonym`, `dialogflow.agent`, `lex.bot`). */
  metadata: Record<string, unknown> | null;
  /** The earlier version of the same name the metadata comes from, when this version has none. */
  inherited_from: number | null;
}

/** The dataset metadata an export uses, and where it comes from. */
export async function getDatasetMetadata(lab: LabContext, idOrName: string | number): Promise<DatasetMetadataView> {
  const row = await getDatasetRow(lab, idOrName);
  const { metadata, from } = await datasetMetadata(lab, row);
  return { dataset_id: row.id, metadata, inherited_from: from === row.id ? null : from };
}

async function datasetMetadata(
  lab: LabContext,
  row: { id: number; name: string; version: number; metadata: string | null },
): Promise<{ metadata: Record<string, unknown> | null; from: number | null }> {
  if (row.metadata) return { metadata: JSON.parse(row.metadata) as Record<string, unknown>, from: row.id };
  const earlier = await lab.db.kysely
    .selectFrom('datasets')
    .select(['id', 'metadata'])
    .where('name', '=', row.name)
    .where('version', '<', row.version)
    .where('metadata', 'is not', null)
    .where('status', '=', 'ready')
    .orderBy('version', 'desc')
    .executeTakeFirst();
  return earlier?.metadata
    ? { metadata: JSON.parse(earlier.metadata) as Record<string, unknown>, from: earlier.id }
    : { metadata: null, from: null };
}
