/**
 * The one normalised shape every loader produces, and the public types of the datasets area.
 * Loaders turn a publisher's layout into `LoadedRecord`s; ingestion stores them.
 */

export const DATASET_TYPES = [
  'banking77',
  'bitext',
  'sgd',
  'csv',
  'jsonl',
  'rasa',
  'dialogflow',
  'lex',
  'rasa-tracker',
] as const;
export type DatasetType = (typeof DATASET_TYPES)[number];

/** Column (CSV) or key (JSONL) names for the generic formats. */
export interface ColumnMapping {
  text?: string;
  label?: string;
  conversation?: string;
  speaker?: string;
  timestamp?: string;
  split?: string;
}

export interface PreprocessOptions {
  nfkc?: boolean;
  collapseWhitespace?: boolean;
  trim?: boolean;
  lowercase?: boolean;
  dropEmpty?: boolean;
}

export interface IngestRequest {
  type: DatasetType;
  path: string;
  name?: string;
  newVersion?: boolean;
  mapping?: ColumnMapping;
  preprocess?: PreprocessOptions;
  /** When set (API requests), every file read must really lie inside this folder (symlinks followed). */
  allowedRoot?: string;
  /** Shown as the dataset's source instead of the path (e.g. `upload:logs.csv`). */
  sourceLabel?: string;
  /** dialogflow: the language of the training phrases (default the agent's); lex: the locale (e.g. en_US). */
  language?: string;
  /**
   * The caller shows the dataset's summary: a worker ingestion computes it on its own thread
   * (its GROUP BYs take a second at a million turns) instead of leaving it to the caller's.
   */
  withSummary?: boolean;
}

export interface IngestProgress {
  rows: number;
  bytesRead?: number;
  totalBytes?: number;
}

/** A labelled (or unlabelled) utterance: one row of `examples`. */
export interface ExampleRecord {
  kind: 'example';
  split: string;
  text: string;
  label: string | null;
  metadata?: Record<string, unknown>;
}

/** One turn of a conversation; turns of one conversation share `conversation`. */
export interface TurnRecord {
  kind: 'turn';
  conversation: string;
  split: string | null;
  /** Canonical speaker (USER, SYSTEM, or the given name upper-cased). */
  speaker: string;
  text: string;
  intent: string | null;
  /** Epoch milliseconds. */
  ts: number | null;
  /** What the logging bot's own NLU predicted (e.g. Rasa's parse_data), when the log carries it. */
  predictedIntent?: string | null;
  confidence?: number | null;
  metadata?: Record<string, unknown>;
  /** Metadata of the conversation, taken from its first turn. */
  conversationMetadata?: Record<string, unknown>;
}

/**
 * About the dataset as a whole, not a row: dataset metadata (e.g. Rasa synonyms, regexes and lookup
 * tables; the Dialogflow agent's language) and import findings (e.g. an intent without examples),
 * which join the validation report.
 */
export interface DatasetNoteRecord {
  kind: 'dataset';
  metadata?: Record<string, unknown>;
  findings?: ValidationFinding[];
}

export type LoadedRecord = ExampleRecord | TurnRecord | DatasetNoteRecord;

/** A dataset as the API and CLI show it. */
export interface DatasetView {
  id: number;
  name: string;
  type: string;
  source: string;
  checksum: string;
  version: number;
  preprocess: PreprocessOptions;
  split_counts: Record<string, number>;
  label_count: number;
  example_count: number;
  conversation_count: number;
  turn_count: number;
  created_at: string;
}

export interface ValidationFinding {
  id: string;
  severity: 'error' | 'warning' | 'info';
  split?: string;
  message: string;
  count: number;
  examples: unknown[];
  /** Who produced it: the dataset validation, the training work (e.g. likely label errors), the review loop or the import. */
  source?: 'validation' | 'training' | 'review' | 'import';
}
