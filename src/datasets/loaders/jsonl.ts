import { jsonLines } from '../files.js';
import type { LoadedRecord } from '../types.js';
import { kindOf, wrongKind } from './locate.js';
import { columnsOf, rowRecords } from './tabular.js';
import type { Loader } from './types.js';

const LAYOUT =
  'expected a JSON Lines file (one JSON object per line): {"text", "label"} for labelled data, or ' +
  '{"conversation_id", "speaker", "text", "timestamp"?, "intent"?} for conversation logs; map other keys with --text-col and friends';

export const jsonlLoader: Loader = {
  type: 'jsonl',
  layout: LAYOUT,
  locate(p) {
    if (kindOf(p, LAYOUT) !== 'file') throw wrongKind(p, 'a JSON Lines file', LAYOUT);
    return [p];
  },
  async *read({ files, mapping, onBytes }) {
    const file = files[0]!;
    const cols = columnsOf(mapping);
    for await (const lines of jsonLines(file, onBytes)) {
      const batch: LoadedRecord[] = [];
      for (const { line, value } of lines) rowRecords(value, cols, { file, unit: 'line', index: line, line }, batch);
      yield batch;
    }
  },
};
