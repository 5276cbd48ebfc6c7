import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ingestDataset } from '../../src/datasets/ingest.js';
import type { DatasetType } from '../../src/datasets/types.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import { EMPTY, csv, tableCounts, write } from './helpers.js';

function dialogue(id: string) {
  return {
    dialogue_id: id,
    services: ['Banks_1'],
    turns: [
      {
        speaker: 'USER',
        utterance: `hello ${id}`,
        frames: [{ service: 'Banks_1', actions: [], state: { active_intent: 'CheckBalance', slot_values: {} } }],
      },
    ],
  };
}

/** Each member of the "bad file" class: a clear error naming the file and row/line, nothing stored. */
describeEachDialect('bad files are refused with the row, never a 500 or a silent guess', (dialect) => {
  let lab: TestLab;
  let dir: string;
  beforeAll(async () => {
    lab = await createTestLab(dialect);
    dir = path.join(lab.dir, 'in');
  });
  afterAll(async () => lab?.cleanup());

  const cases: Array<[string, DatasetType, string, string | Buffer, RegExp, string?]> = [
    [
      'duplicate column names',
      'csv',
      'dup.csv',
      'text,label,text\nreal text,greet,shadow\n',
      /dup\.csv line 1: duplicate column name\(s\) in the header: "text" \(columns 1 and 3\)/,
    ],
    [
      'duplicate columns in a banking77 file',
      'banking77',
      'train.csv',
      'text,category,category\nhi,a,b\n',
      /duplicate column name\(s\) in the header: "category" \(columns 2 and 3\)/,
    ],
    [
      'a label made of invisible characters',
      'csv',
      'invisible.csv',
      csv([
        ['text', 'label'],
        ['hello', 'greet'],
        ['bye', '\u200b\u2060'],
      ]),
      /invisible\.csv line 3: row 2: empty label \(only invisible characters\) \(column label\)/,
    ],
    [
      'a label that is not a string',
      'jsonl',
      'number.jsonl',
      '{"text":"hello","label":"greet"}\n{"text":"bye","label":7}\n',
      /number\.jsonl line 2: line 2: label must be a string \(got number\)/,
    ],
    [
      'a label that is an object',
      'jsonl',
      'object.jsonl',
      '{"text":"hello","label":{"name":"greet"}}\n',
      /label must be a string \(got object\)/,
    ],
    [
      'a label with a control character',
      'csv',
      'control.csv',
      csv([
        ['text', 'label'],
        ['hello', 'gre\u0007et'],
      ]),
      /row 1: label contains a control character/,
    ],
    [
      'deeply nested JSON',
      'jsonl',
      'deep.jsonl',
      `{"text":"ok","label":"a"}\n{"text":"x","label":"a","meta":${'['.repeat(100_000)}${']'.repeat(100_000)}}\n`,
      /deep\.jsonl line 2: JSON nested deeper than 64 levels/,
    ],
    [
      'a dataset name with a control character',
      'csv',
      'named.csv',
      csv([
        ['text', 'label'],
        ['hello', 'greet'],
      ]),
      /dataset name contains a control character/,
      'bank\u001b[31m',
    ],
  ];
  it.each(cases)('%s', async (_what, type, name, content, error, datasetName) => {
    const file = write(dir, `${_what.replace(/\W+/g, '-')}/${name}`, content);
    const target = type === 'banking77' ? path.dirname(file) : file;
    if (type === 'banking77') write(path.dirname(file), 'test.csv', 'text,category\nhi,a\n');
    await expect(ingestDataset(lab, { type, path: target, name: datasetName })).rejects.toThrow(error);
    expect(await tableCounts(lab)).toEqual(EMPTY);
  });

  it('the same dialogue id twice in an SGD split is an error naming both files', async () => {
    const sgd = path.join(dir, 'sgd');
    write(sgd, 'schema.json', '[]');
    write(sgd, 'train/dialogues_001.json', JSON.stringify([dialogue('1_00001'), dialogue('1_00002')]));
    write(sgd, 'train/dialogues_002.json', JSON.stringify([dialogue('1_00002')]));
    // The same id in another split is a different dialogue (SGD numbers each split from 1).
    write(sgd, 'test/dialogues_001.json', JSON.stringify([dialogue('1_00001')]));
    await expect(ingestDataset(lab, { type: 'sgd', path: sgd })).rejects.toThrow(
      /dialogues_002\.json: dialogue 1_00002 appears twice in split train \(also in dialogues_001\.json\)/,
    );
    expect(await tableCounts(lab)).toEqual(EMPTY);
  });
});
