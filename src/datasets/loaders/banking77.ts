import { existsSync } from 'node:fs';
import path from 'node:path';
import { csvRows, fileError, nameProblem, parseJson, readUtf8 } from '../files.js';
import type { ExampleRecord } from '../types.js';
import { kindOf, missing } from './locate.js';
import type { Loader } from './types.js';

const LAYOUT =
  'expected a folder with train.csv and test.csv (columns text,category) and optional categories.json, ' +
  "the layout of PolyAI's banking_data folder (https://github.com/PolyAI-LDN/task-specific-datasets/tree/master/banking_data)";

/** BANKING77: one CSV per split; the split is the file name (train.csv -> train). */
export const banking77Loader: Loader = {
  type: 'banking77',
  layout: LAYOUT,
  locate(p) {
    if (kindOf(p, LAYOUT) === 'file') return [p];
    const files = ['train.csv', 'test.csv'].map((f) => path.join(p, f));
    for (const f of files) if (!existsSync(f)) throw missing(f, LAYOUT);
    const categories = path.join(p, 'categories.json');
    return existsSync(categories) ? [...files, categories] : files;
  },
  async *read({ files, onBytes }) {
    const categoriesFile = files.find((f) => path.basename(f) === 'categories.json');
    const known = categoriesFile ? await readCategories(categoriesFile) : undefined;
    for (const file of files.filter((f) => f !== categoriesFile)) {
      const split = splitOf(file);
      for await (const { rows } of csvRows(file, { required: [['text'], ['category']], onBytes, layout: LAYOUT })) {
        const batch: ExampleRecord[] = [];
        for (const { row, line, values } of rows) {
          const label = values.category!.trim();
          const problem = nameProblem(label);
          if (problem) throw fileError(file, `row ${row}: ${problem} (column category)`, line);
          if (known && !known.has(label)) {
            throw fileError(file, `row ${row}: category "${label}" is not listed in categories.json`, line);
          }
          batch.push({ kind: 'example', split, text: values.text!, label });
        }
        yield batch;
      }
    }
  },
};

function splitOf(file: string): string {
  const stem = path.basename(file, path.extname(file)).toLowerCase();
  return ['train', 'test', 'dev', 'validation', 'val'].includes(stem) ? stem : 'train';
}

async function readCategories(file: string): Promise<Set<string>> {
  const value = parseJson(file, await readUtf8(file));
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw fileError(file, 'must be a JSON array of category names');
  }
  return new Set(value as string[]);
}
