import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { ingestDataset } from '../../src/datasets/ingest.js';
import type { IngestRequest } from '../../src/datasets/types.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import { csv, tableCounts, write } from './helpers.js';

/** Every bad input gets a clear message naming the file, row/line and problem, and stores nothing. */
describeEachDialect('dataset bad input', (dialect) => {
  let lab: TestLab;
  let dir: string;
  beforeAll(async () => {
    lab = await createTestLab(dialect);
    dir = lab.dir;
    // One good dataset first, so "stores nothing" is checked against a non-empty database.
    await ingestDataset(lab, {
      type: 'csv',
      path: write(
        dir,
        'good.csv',
        csv([
          ['text', 'label'],
          ['hi', 'greet'],
        ]),
      ),
    });
  });
  afterAll(async () => lab?.cleanup());

  async function rejects(request: IngestRequest, message: RegExp): Promise<ValidationError> {
    const before = await tableCounts(lab);
    const err = await ingestDataset(lab, request).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, `expected ${message} to be thrown`).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
    expect(await tableCounts(lab)).toEqual(before);
    return err as ValidationError;
  }

  it('unknown dataset type', async () => {
    await rejects(
      { type: 'xml' as never, path: dir },
      /unknown dataset type "xml"; use one of banking77, bitext, sgd, csv, jsonl/,
    );
  });

  it('missing file or folder: says what layout is expected and where to get the data', async () => {
    await rejects(
      { type: 'banking77', path: path.join(dir, 'nope') },
      /nope does not exist; expected a folder with train\.csv and test\.csv.*PolyAI/,
    );
    write(
      dir,
      'b77-half/train.csv',
      csv([
        ['text', 'category'],
        ['a', 'x'],
      ]),
    );
    await rejects({ type: 'banking77', path: path.join(dir, 'b77-half') }, /test\.csv does not exist/);
    await rejects(
      { type: 'sgd', path: path.join(dir, 'nope') },
      /does not exist; .*dialogues_\*\.json.*dstc8-schema-guided-dialogue/,
    );
    write(dir, 'sgd-noschema/train/dialogues_001.json', '[]');
    await rejects({ type: 'sgd', path: path.join(dir, 'sgd-noschema') }, /schema\.json does not exist/);
    await rejects(
      { type: 'bitext', path: path.join(dir, 'nope.csv') },
      /does not exist; .*flags,instruction,category,intent,response.*huggingface/,
    );
    await rejects(
      { type: 'csv', path: path.join(dir, 'nope.csv') },
      /nope\.csv does not exist; expected a comma-separated CSV/,
    );
    await rejects(
      { type: 'jsonl', path: path.join(dir, 'nope.jsonl') },
      /nope\.jsonl does not exist; expected a JSON Lines file/,
    );
  });

  it('a CSV without the required columns names the file and the columns', async () => {
    const b77 = write(
      dir,
      'b77-cols/train.csv',
      csv([
        ['text', 'label'],
        ['a', 'x'],
      ]),
    );
    write(
      dir,
      'b77-cols/test.csv',
      csv([
        ['text', 'category'],
        ['a', 'x'],
      ]),
    );
    const err = await rejects(
      { type: 'banking77', path: path.dirname(b77) },
      /b77-cols\/train\.csv line 1: missing required column\(s\) category; found columns text,label/,
    );
    expect(err.details[0]).toMatchObject({ field: 'file', file: b77, line: 1 });
    await rejects(
      {
        type: 'bitext',
        path: write(
          dir,
          'bitext-cols.csv',
          csv([
            ['instruction', 'intent'],
            ['a', 'x'],
          ]),
        ),
      },
      /bitext-cols\.csv line 1: missing required column\(s\) flags, category, response/,
    );
    await rejects(
      {
        type: 'csv',
        path: write(
          dir,
          'nolabel.csv',
          csv([
            ['text', 'other'],
            ['a', 'x'],
          ]),
        ),
      },
      /nolabel\.csv line 1: missing required column\(s\) label or intent; found columns text,other/,
    );
    await rejects(
      {
        type: 'csv',
        path: write(
          dir,
          'mapped.csv',
          csv([
            ['text', 'label'],
            ['a', 'x'],
          ]),
        ),
        mapping: { text: 'utterance' },
      },
      /missing required column\(s\) utterance/,
    );
  });

  it('a CSV with a different delimiter', async () => {
    await rejects(
      { type: 'csv', path: write(dir, 'semi.csv', 'text;label\nhello;greet\n') },
      /semi\.csv line 1: looks delimited by ";", but CSV files must be comma-separated; found one column "text;label", expected columns text,label/,
    );
    await rejects(
      { type: 'banking77', path: write(dir, 'tabs/train.csv', 'text\tcategory\nhello\tgreet\n') },
      /looks delimited by tab/,
    );
  });

  it('an empty file', async () => {
    await rejects({ type: 'csv', path: write(dir, 'empty.csv', '') }, /empty\.csv: the file is empty/);
    await rejects({ type: 'jsonl', path: write(dir, 'empty.jsonl', '') }, /empty\.jsonl: the file is empty/);
    await rejects(
      { type: 'jsonl', path: write(dir, 'blank.jsonl', '\n\n  \n') },
      /blank\.jsonl: contains no JSON lines/,
    );
    write(dir, 'sgd-empty/schema.json', '[]');
    await rejects(
      { type: 'sgd', path: path.dirname(write(dir, 'sgd-empty/dialogues_001.json', '')) },
      /dialogues_001\.json: the file is empty/,
    );
    await rejects({ type: 'csv', path: write(dir, 'header-only.csv', 'text,label\n') }, /no rows to ingest/);
  });

  it('malformed JSON names the file and line', async () => {
    await rejects(
      {
        type: 'jsonl',
        path: write(
          dir,
          'broken.jsonl',
          '{"text":"a","label":"x"}\n{"text":"b","label":"y"}\n{"text": "c", "label": }\n',
        ),
      },
      /broken\.jsonl line 3: malformed JSON/,
    );
    await rejects(
      { type: 'jsonl', path: write(dir, 'array.jsonl', '["a","b"]\n') },
      /array\.jsonl line 1: each line must be a JSON object/,
    );
    write(dir, 'sgd-broken/schema.json', '[]');
    await rejects(
      {
        type: 'sgd',
        path: path.dirname(write(dir, 'sgd-broken/dialogues_001.json', '[\n  {"dialogue_id": "1",\n  "turns": [}\n]')),
      },
      /dialogues_001\.json line 3: malformed JSON/,
    );
  });

  it('a row with an empty label where labels are required', async () => {
    write(
      dir,
      'b77-empty/test.csv',
      csv([
        ['text', 'category'],
        ['a', 'x'],
      ]),
    );
    await rejects(
      {
        type: 'banking77',
        path: path.dirname(
          write(
            dir,
            'b77-empty/train.csv',
            csv([
              ['text', 'category'],
              ['a', 'x'],
              ['b', ' '],
            ]),
          ),
        ),
      },
      /b77-empty\/train\.csv line 3: row 2: empty label \(column category\)/,
    );
    await rejects(
      {
        type: 'bitext',
        path: write(
          dir,
          'bitext-empty.csv',
          csv([
            ['flags', 'instruction', 'category', 'intent', 'response'],
            ['B', 'hi', 'C', '', 'r'],
          ]),
        ),
      },
      /row 1: empty label \(column intent\)/,
    );
    await rejects(
      { type: 'jsonl', path: write(dir, 'nolabel.jsonl', '{"text":"a","label":"x"}\n{"text":"b"}\n') },
      /nolabel\.jsonl line 2: line 2: empty label \(column label or intent\)/,
    );
  });

  it('a label outside categories.json', async () => {
    write(
      dir,
      'b77-cat/test.csv',
      csv([
        ['text', 'category'],
        ['a', 'x'],
      ]),
    );
    write(
      dir,
      'b77-cat/train.csv',
      csv([
        ['text', 'category'],
        ['a', 'x'],
        ['b', 'y'],
      ]),
    );
    write(dir, 'b77-cat/categories.json', '["x"]');
    await rejects(
      { type: 'banking77', path: path.join(dir, 'b77-cat') },
      /row 2: category "y" is not listed in categories\.json/,
    );
  });

  it('a file that is not UTF-8 names the line', async () => {
    const latin1 = Buffer.concat([Buffer.from('text,label\nok,a\n'), Buffer.from('caf\xe9 au lait,b\n', 'latin1')]);
    await rejects(
      { type: 'csv', path: write(dir, 'latin1.csv', latin1) },
      /latin1\.csv: is not valid UTF-8 \(invalid bytes near line 3\)/,
    );
    await rejects(
      { type: 'jsonl', path: write(dir, 'latin1.jsonl', Buffer.from('{"text":"caf\xe9","label":"a"}\n', 'latin1')) },
      /is not valid UTF-8/,
    );
    write(dir, 'sgd-latin1/schema.json', '[]');
    await rejects(
      {
        type: 'sgd',
        path: path.dirname(
          write(dir, 'sgd-latin1/dialogues_001.json', Buffer.from('[{"dialogue_id":"caf\xe9"}]', 'latin1')),
        ),
      },
      /is not valid UTF-8/,
    );
  });

  it('invalid CSV quoting, bad timestamps and missing conversation fields', async () => {
    await rejects(
      { type: 'csv', path: write(dir, 'quotes.csv', 'text,label\n"unterminated,a\n') },
      /quotes\.csv.*is not valid CSV/,
    );
    const header = ['conversation_id', 'speaker', 'text', 'timestamp'];
    await rejects(
      {
        type: 'csv',
        path: write(
          dir,
          'ts.csv',
          csv([header, ['c1', 'user', 'hi', '2024-01-01T00:00:00Z'], ['c1', 'bot', 'yo', 'last tuesday']]),
        ),
      },
      /ts\.csv line 3: row 2: timestamp "last tuesday" is not ISO 8601 or epoch/,
    );
    await rejects(
      { type: 'csv', path: write(dir, 'nospeaker.csv', csv([header, ['c1', '', 'hi', '']])) },
      /row 1: empty speaker \(column speaker\)/,
    );
    await rejects(
      { type: 'csv', path: write(dir, 'noconv.csv', csv([header, ['', 'user', 'hi', '']])) },
      /row 1: empty conversation id \(column conversation_id\)/,
    );
    await rejects(
      {
        type: 'csv',
        path: write(
          dir,
          'nospeakercol.csv',
          csv([
            ['conversation_id', 'text'],
            ['c1', 'hi'],
          ]),
        ),
      },
      /missing required column\(s\) speaker/,
    );
  });
});
