import type { ColumnMapping, DatasetType, LoadedRecord } from '../types.js';

export interface LoaderInput {
  /** What the user gave (a folder or a file), resolved. */
  path: string;
  /** The files `locate` returned. */
  files: string[];
  mapping: ColumnMapping;
  /** dialogflow/lex: the language or locale to read (IngestRequest.language). */
  language?: string;
  /** Called with the bytes read so far increments, for progress and ETA. */
  onBytes: (n: number) => void;
}

/** One publisher layout -> the normalised records. */
export interface Loader {
  type: DatasetType;
  /** What the loader expects and where the public dataset is found, for "missing" errors. */
  layout: string;
  /** The files that make up the dataset, in a stable order; throws if the layout is not there. */
  locate(path: string): string[];
  /** Records in batches; an error names the file, row/line and problem. */
  read(input: LoaderInput): AsyncIterable<LoadedRecord[]>;
}
