import { csvRows } from '../files.js';
import type { LoadedRecord } from '../types.js';
import { kindOf, wrongKind } from './locate.js';
import { columnsOf, rowRecords } from './tabular.js';
import type { Loader } from './types.js';

const LAYOUT =
  'expected a comma-separated CSV file with a header row: text and label (or intent) for labelled data, or ' +
  'conversation_id, speaker, text (optional timestamp, intent, split) for conversation logs; map other names with --text-col and friends';

export const csvLoader: Loader = {
  type: 'csv',
  layout: LAYOUT,
  locate(p) {
    if (kindOf(p, LAYOUT) !== 'file') throw wrongKind(p, 'a CSV file', LAYOUT);
    return [p];
  },
  async *read({ files, mapping, onBytes }) {
    const file = files[0]!;
    const cols = columnsOf(mapping);
    // The header decides the mode: a log needs conversation + speaker columns, labelled data a label.
    const required = (header: string[]) =>
      header.includes(cols.conversation) ? [[cols.text], [cols.speaker]] : [[cols.text], cols.label];
    for await (const { rows } of csvRows(file, { required, onBytes, layout: LAYOUT })) {
      const batch: LoadedRecord[] = [];
      for (const { row, line, values } of rows)
        rowRecords(values, cols, { file, unit: 'row', index: row, line }, batch);
      yield batch;
    }
  },
};
