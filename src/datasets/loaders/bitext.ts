import { csvRows, fileError, nameProblem } from '../files.js';
import type { LoadedRecord } from '../types.js';
import { kindOf, wrongKind } from './locate.js';
import type { Loader } from './types.js';

const LAYOUT =
  'expected one CSV file with columns flags,instruction,category,intent,response, the layout of the Bitext ' +
  'customer-support dataset (https://huggingface.co/datasets/bitext/Bitext-customer-support-llm-chatbot-training-dataset)';

const COLUMNS = ['flags', 'instruction', 'category', 'intent', 'response'];

/** Bitext: each row is a labelled example and a two-turn conversation (USER asks, SYSTEM answers). */
export const bitextLoader: Loader = {
  type: 'bitext',
  layout: LAYOUT,
  locate(p) {
    if (kindOf(p, LAYOUT) !== 'file') throw wrongKind(p, 'a CSV file', LAYOUT);
    return [p];
  },
  async *read({ files, onBytes }) {
    const file = files[0]!;
    for await (const { rows } of csvRows(file, { required: COLUMNS.map((c) => [c]), onBytes, layout: LAYOUT })) {
      const batch: LoadedRecord[] = [];
      for (const { row, line, values } of rows) {
        const label = values.intent!.trim();
        const problem = nameProblem(label);
        if (problem) throw fileError(file, `row ${row}: ${problem} (column intent)`, line);
        const conversation = `bitext-${row}`;
        const metadata = { category: values.category, flags: values.flags };
        batch.push({ kind: 'example', split: 'train', text: values.instruction!, label, metadata });
        batch.push({
          kind: 'turn',
          conversation,
          split: 'train',
          speaker: 'USER',
          text: values.instruction!,
          intent: label,
          ts: null,
          metadata,
          conversationMetadata: { category: values.category },
        });
        batch.push({
          kind: 'turn',
          conversation,
          split: 'train',
          speaker: 'SYSTEM',
          text: values.response!,
          intent: null,
          ts: null,
        });
      }
      yield batch;
    }
  },
};
