/**
 * Data whose labels are JavaScript object keys (issue 11): a BANKING77 subset whose four intents
 * are renamed `__proto__`, `constructor`, `toString` and `hasOwnProperty`, and a conversation log
 * (CSV) using the same names as intents and as extra metadata columns. Real texts, so a model
 * trained on the dataset labels the log's unlabelled turns sensibly.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';

export const OBJECT_KEY_LABELS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'] as const;
const SOURCE_INTENTS = ['activate_my_card', 'age_limit', 'atm_support', 'exchange_rate'];
const banking77 = path.resolve(import.meta.dirname, '../../../shared/datasets/banking77');

function textsBySource(split: 'train' | 'test'): Map<string, string[]> {
  const rows = parse(readFileSync(path.join(banking77, `${split}.csv`)), { columns: true }) as Array<{
    text: string;
    category: string;
  }>;
  const out = new Map<string, string[]>(SOURCE_INTENTS.map((i) => [i, []]));
  for (const r of rows) out.get(r.category)?.push(r.text);
  return out;
}

export const TRAIN_PER_LABEL = 40;
export const TEST_PER_LABEL = 10;

/** Writes `train.csv` and `test.csv` (BANKING77 layout) into `folder`. */
export function writeObjectKeyDataset(folder: string): void {
  mkdirSync(folder, { recursive: true });
  for (const [split, cap] of [
    ['train', TRAIN_PER_LABEL],
    ['test', TEST_PER_LABEL],
  ] as const) {
    const texts = textsBySource(split);
    const rows = SOURCE_INTENTS.flatMap((source, i) =>
      texts
        .get(source)!
        .slice(0, cap)
        .map((text) => ({ text, category: OBJECT_KEY_LABELS[i]! })),
    );
    writeFileSync(path.join(folder, `${split}.csv`), stringify(rows, { header: true, columns: ['text', 'category'] }));
  }
}

export const LOG_CONVERSATIONS = 8;
/** Each conversation: three labelled USER turns, then one unlabelled, each followed by a bot reply. */
export const LABELLED_PER_LABEL = 6;
export const UNLABELLED_TURNS = 8;

/**
 * Writes `log.csv` into `folder`: conversation `c<n>` has USER turns labelled
 * LABELS[(n+k) % 4] for k = 0..2 and an unlabelled one whose text comes from LABELS[(n+3) % 4]'s
 * source intent. The columns `__proto__` and `constructor` are metadata (`m<n>-<k>`, `x<n>`).
 */
export function writeObjectKeyLog(folder: string): void {
  mkdirSync(folder, { recursive: true });
  const texts = textsBySource('test');
  // Rows as arrays: an object literal's `__proto__:` would set a prototype, not a column.
  const rows: string[][] = [];
  let ts = Date.parse('2025-03-03T09:00:00Z');
  for (let c = 0; c < LOG_CONVERSATIONS; c++) {
    for (let k = 0; k < 4; k++) {
      const label = (c + k) % 4;
      const text = texts.get(SOURCE_INTENTS[label]!)![TEST_PER_LABEL + c * 4 + k]!;
      ts += 3 * 3600_000;
      const at = new Date(ts).toISOString();
      rows.push([`c${c}`, 'user', text, k < 3 ? OBJECT_KEY_LABELS[label]! : '', at, `m${c}-${k}`, `x${c}`]);
      rows.push([`c${c}`, 'bot', 'Thanks, let me check that.', '', new Date(ts + 5000).toISOString(), '', '']);
    }
  }
  const columns = ['conversation_id', 'speaker', 'text', 'intent', 'timestamp', '__proto__', 'constructor'];
  writeFileSync(path.join(folder, 'log.csv'), stringify(rows, { header: true, columns }));
}
