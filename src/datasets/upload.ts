import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LabContext } from '../lab/context.js';
import { ValidationError } from '../core/errors.js';
import { ingestDataset } from './ingest.js';
import { resolveUploadPath } from './paths.js';
import {
  DATASET_TYPES,
  type ColumnMapping,
  type DatasetType,
  type IngestRequest,
  type PreprocessOptions,
} from './types.js';

/**
 * The options an API client (or a form) sends, in the CLI's vocabulary, turned into an
 * IngestRequest. Shared by the JSON and multipart forms of `POST /datasets/upload`.
 */
export interface UploadOptions {
  text_col?: string;
  label_col?: string;
  conversation_col?: string;
  speaker_col?: string;
  timestamp_col?: string;
  split_col?: string;
  nfkc?: boolean;
  collapse_whitespace?: boolean;
  trim?: boolean;
  lowercase?: boolean;
  drop_empty?: boolean;
  language?: string;
}

export interface UploadFields {
  dataset_type: string;
  name?: string;
  new_version?: boolean;
  /** false: store texts as given (no NFKC, whitespace or case changes); true (default): preprocess. */
  preprocess?: boolean;
  options?: UploadOptions;
}

export function requestFromFields(fields: UploadFields, filePath: string): IngestRequest {
  if (!(DATASET_TYPES as readonly string[]).includes(fields.dataset_type)) {
    throw new ValidationError(`unknown dataset_type "${fields.dataset_type}"; use one of ${DATASET_TYPES.join(', ')}`, [
      { field: 'body.dataset_type', problem: `must be one of ${DATASET_TYPES.join(', ')}` },
    ]);
  }
  const o = fields.options ?? {};
  const mapping: ColumnMapping = {};
  if (o.text_col) mapping.text = o.text_col;
  if (o.label_col) mapping.label = o.label_col;
  if (o.conversation_col) mapping.conversation = o.conversation_col;
  if (o.speaker_col) mapping.speaker = o.speaker_col;
  if (o.timestamp_col) mapping.timestamp = o.timestamp_col;
  if (o.split_col) mapping.split = o.split_col;
  const preprocess: PreprocessOptions =
    fields.preprocess === false
      ? { nfkc: false, collapseWhitespace: false, trim: false, lowercase: false, dropEmpty: o.drop_empty ?? false }
      : {
          ...(o.nfkc !== undefined ? { nfkc: o.nfkc } : {}),
          ...(o.collapse_whitespace !== undefined ? { collapseWhitespace: o.collapse_whitespace } : {}),
          ...(o.trim !== undefined ? { trim: o.trim } : {}),
          ...(o.lowercase !== undefined ? { lowercase: o.lowercase } : {}),
          ...(o.drop_empty !== undefined ? { dropEmpty: o.drop_empty } : {}),
        };
  return {
    type: fields.dataset_type as DatasetType,
    path: filePath,
    name: fields.name,
    newVersion: fields.new_version ?? false,
    mapping,
    preprocess,
    ...(o.language ? { language: o.language } : {}),
  };
}

/** `file_path` (or the dataset type's folder) inside DATASET_DIR; nothing outside it is read. */
export async function ingestFromDatasetDir(lab: LabContext, fields: UploadFields & { file_path?: string }) {
  const resolved = resolveUploadPath(lab.settings, fields.file_path, fields.dataset_type);
  return ingestDataset(lab, {
    ...requestFromFields(fields, resolved),
    allowedRoot: lab.settings.datasetDir,
    withSummary: true,
  });
}

const UPLOAD_EXTENSIONS = ['.csv', '.jsonl', '.json', '.ndjson', '.txt', '.yml', '.yaml', '.md', '.zip'];

/** A folder for one uploaded file, removed afterwards whatever happens. */
export async function withUploadDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), 'chatlab-upload-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The uploaded file's name, reduced to a safe base name with an accepted extension. */
export function uploadFileName(original: string | undefined): string {
  const base = path.basename(original ?? '').replace(/[^\w.-]+/g, '_') || 'upload';
  const ext = path.extname(base).toLowerCase();
  if (!UPLOAD_EXTENSIONS.includes(ext)) {
    throw new ValidationError(`uploaded file "${original}" must be ${UPLOAD_EXTENSIONS.join(', ')}`, [
      { field: 'file', problem: `extension must be one of ${UPLOAD_EXTENSIONS.join(', ')}` },
    ]);
  }
  return base;
}
