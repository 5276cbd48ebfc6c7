import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { exportDataset } from '../../src/datasets/export.js';
import { ingestDataset } from '../../src/datasets/ingest.js';
import { getValidation } from '../../src/datasets/validation.js';
import type { IngestRequest } from '../../src/datasets/types.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import { fixtures, zipFolder } from './interop-helpers.js';

interface StoredExample {
  split: string;
  text: string;
  label: string | null;
  metadata: Record<string, unknown> | null;
}

async function examplesOf(lab: TestLab, datasetId: number): Promise<StoredExample[]> {
  const rows = await lab.db.kysely
    .selectFrom('examples')
    .select(['split', 'text', 'label', 'metadata'])
    .where('dataset_id', '=', datasetId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ ...r, metadata: r.metadata ? (JSON.parse(r.metadata) as Record<string, unknown>) : null }));
}

/** (label, text) pairs, sorted: what a round trip must keep. */
const pairs = (xs: StoredExample[]) => xs.map((x) => `${x.label}\u0000${x.text}`).sort();

describeEachDialect('bot platform import and export', (dialect) => {
  let lab: TestLab;
  let n = 0;
  beforeAll(async () => {
    lab = await createTestLab(dialect);
  });
  afterAll(async () => lab?.cleanup());

  const ingest = async (request: IngestRequest) => (await ingestDataset(lab, { name: `d${++n}`, ...request })).dataset;

  /** Exports, writes the file, imports it again; returns both datasets' examples and the bytes. */
  async function roundTrip(datasetId: number, format: 'rasa' | 'dialogflow' | 'lex' | 'csv' | 'jsonl') {
    const first = await exportDataset(lab, datasetId, format);
    const again = await exportDataset(lab, datasetId, format);
    expect(Buffer.from(again.bytes).equals(Buffer.from(first.bytes)), 'same version -> same bytes').toBe(true);
    const file = path.join(lab.dir, `rt-${++n}-${first.filename}`);
    writeFileSync(file, first.bytes);
    const back = await ingest({ type: format, path: file });
    const second = await exportDataset(lab, back.id, format);
    return {
      original: await examplesOf(lab, datasetId),
      imported: await examplesOf(lab, back.id),
      bytes: first.bytes,
      reExported: second.bytes,
      back,
    };
  }

  it('imports Rasa YAML: entity annotations stripped into metadata, sections kept as dataset metadata', async () => {
    const d = await ingest({ type: 'rasa', path: path.join(fixtures, 'rasa') });
    const xs = await examplesOf(lab, d.id);
    expect(d.example_count).toBe(10);
    expect(d.label_count).toBe(4);
    expect(xs.every((x) => x.split === 'train')).toBe(true);
    const byText = new Map(xs.map((x) => [x.text, x]));
    expect(byText.get('how much is in my credit card account')!.metadata).toEqual({
      entities: [{ start: 18, end: 29, value: 'credit', entity: 'account_type' }],
    });
    expect(byText.get('show the balance of checking')!.metadata!.entities).toEqual([
      { start: 20, end: 28, value: 'current', entity: 'account_type' },
    ]);
    expect(byText.get('send 50 from savings to checking')!.metadata!.entities).toEqual([
      { start: 5, end: 7, value: '50', entity: 'amount' },
      { start: 13, end: 20, value: 'savings', entity: 'account', role: 'source' },
      { start: 24, end: 32, value: 'checking', entity: 'account', role: 'destination' },
    ]);
    expect(byText.get('move money to Anna')!.metadata!.entities).toEqual([
      { start: 14, end: 18, value: 'Anna', entity: 'person' },
      { start: 14, end: 18, value: 'Anna', entity: 'payee', group: '1' },
    ]);
    expect(byText.get('bye for now')!.metadata).toEqual({ rasa_metadata: { sentiment: 'neutral' } });
    // Synonyms, regexes and lookups are not examples.
    expect(xs.some((x) => x.text === 'JPMC' || x.text === 'credit account')).toBe(false);
    const row = await lab.db.kysely
      .selectFrom('datasets')
      .select('metadata')
      .where('id', '=', d.id)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(row.metadata!)).toEqual({
      rasa: {
        synonym: [{ name: 'credit', examples: ['credit card', 'credit account'] }],
        regex: [{ name: 'account_number', examples: ['\\d{10,12}'] }],
        lookup: [{ name: 'banks', examples: ['JPMC', 'Comerica'] }],
      },
    });
    // The intent without examples is a warning in the validation report, and stays after a recompute.
    const report = await getValidation(lab, d.id);
    const empty = report.findings.find((f) => f.id === 'intent_without_examples')!;
    expect(empty).toMatchObject({
      severity: 'warning',
      count: 1,
      source: 'import',
      examples: [{ intent: 'ask_opening_hours' }],
    });
  });

  it('imports a Rasa project folder: README and stories skipped, an intent split over files is not empty', async () => {
    const project = path.join(lab.dir, 'rasa-project');
    cpSync(path.join(fixtures, 'rasa'), path.join(project, 'data'), { recursive: true });
    writeFileSync(path.join(project, 'README.md'), '# My bot\n\nNotes for the team.\n');
    writeFileSync(
      path.join(project, 'data/more.yml'),
      'version: "3.1"\nnlu:\n- intent: ask_opening_hours\n  examples: |\n    - when do you open\n',
    );
    writeFileSync(path.join(project, 'actions.py'), 'from rasa_sdk import Action\n');
    const d = await ingest({ type: 'rasa', path: project });
    expect(d).toMatchObject({ example_count: 11, label_count: 5 });
    // The same project as a .zip.
    const zipFile = path.join(lab.dir, 'rasa-project.zip');
    writeFileSync(zipFile, zipFolder(project));
    const zipped = await ingest({ type: 'rasa', path: zipFile });
    expect(pairs(await examplesOf(lab, zipped.id))).toEqual(pairs(await examplesOf(lab, d.id)));
    const report = await getValidation(lab, d.id);
    expect(report.findings.some((f) => f.id === 'intent_without_examples')).toBe(false);
  });

  it('imports the older Rasa Markdown format', async () => {
    const d = await ingest({ type: 'rasa', path: path.join(fixtures, 'rasa-md/nlu.md') });
    const xs = await examplesOf(lab, d.id);
    expect(pairs(xs)).toEqual(
      [
        'greet\u0000hey',
        'greet\u0000hello there',
        'check_balance\u0000what is my savings balance',
        'check_balance\u0000how much is in my credit card account',
        'stop\u0000stop it',
        'stop\u0000cancel',
      ].sort(),
    );
    const report = await getValidation(lab, d.id);
    expect(report.findings.find((f) => f.id === 'intent_without_examples')!.examples).toEqual([{ intent: 'affirm' }]);
  });

  it('Rasa round trip: same examples, labels and entities; re-export gives the same bytes', async () => {
    const d = await ingest({ type: 'rasa', path: path.join(fixtures, 'rasa/nlu.yml') });
    const { original, imported, bytes, reExported } = await roundTrip(d.id, 'rasa');
    expect(imported.map((x) => [x.label, x.text, x.metadata?.entities ?? null]).sort()).toEqual(
      original.map((x) => [x.label, x.text, x.metadata?.entities ?? null]).sort(),
    );
    expect(Buffer.from(reExported).equals(Buffer.from(bytes))).toBe(true);
    const yaml = Buffer.from(bytes).toString('utf8');
    expect(yaml).toMatch(
      /^version: "3\.1"\nnlu:\n- intent: check_balance\n {2}examples: \|\n {4}- what is my \[savings\]\(account_type\) balance\n/,
    );
    expect(yaml).toContain('- show the balance of [checking]{"entity":"account_type","value":"current"}');
    expect(yaml).toContain('- synonym: credit');
  });

  it('imports a Dialogflow ES agent (folder and zip alike): multi-part texts joined, parts annotated', async () => {
    const folder = await ingest({ type: 'dialogflow', path: path.join(fixtures, 'dialogflow') });
    const zipFile = path.join(lab.dir, 'TravelAgent.zip');
    writeFileSync(zipFile, zipFolder(path.join(fixtures, 'dialogflow'), './TravelAgent/'));
    const zipped = await ingest({ type: 'dialogflow', path: zipFile });
    const xs = await examplesOf(lab, folder.id);
    expect(await examplesOf(lab, zipped.id)).toEqual(xs);
    expect(pairs(xs)).toEqual(
      [
        'Default Welcome Intent\u0000hi',
        'Default Welcome Intent\u0000good evening',
        'book.flight\u0000book a flight to Paris on Friday',
        'book.flight\u0000I need to fly to Rome please',
        'book.flight\u0000any business class flights tomorrow',
      ].sort(),
    );
    expect(xs.find((x) => x.text === 'book a flight to Paris on Friday')!.metadata).toEqual({
      entities: [
        { start: 17, end: 22, value: 'Paris', entity: 'geo-city', type: '@sys.geo-city' },
        { start: 26, end: 32, value: 'Friday', entity: 'date', type: '@sys.date' },
      ],
    });
    const report = await getValidation(lab, folder.id);
    expect(report.findings.find((f) => f.id === 'intent_without_examples')!.examples).toEqual([
      { intent: 'Default Fallback Intent' },
    ]);
    // --language picks another language's phrases.
    const de = await ingest({ type: 'dialogflow', path: path.join(fixtures, 'dialogflow'), language: 'de' });
    expect(pairs(await examplesOf(lab, de.id))).toEqual(['Default Welcome Intent\u0000hallo']);
  });

  it('Dialogflow round trip: a restorable zip (agent.json, package.json, intents) with the same examples', async () => {
    const d = await ingest({ type: 'dialogflow', path: path.join(fixtures, 'dialogflow') });
    const { original, imported, bytes, reExported } = await roundTrip(d.id, 'dialogflow');
    expect(pairs(imported)).toEqual(pairs(original));
    expect(imported.map((x) => x.metadata)).toEqual(original.map((x) => x.metadata));
    expect(Buffer.from(reExported).equals(Buffer.from(bytes))).toBe(true);
    const entries = unzipSync(bytes);
    expect(Object.keys(entries)).toEqual([
      'agent.json',
      'entities/seat-class.json',
      'entities/seat-class_entries_en.json',
      'intents/Default Fallback Intent.json',
      'intents/Default Welcome Intent.json',
      'intents/Default Welcome Intent_usersays_en.json',
      'intents/book.flight.json',
      'intents/book.flight_usersays_en.json',
      'package.json',
    ]);
    const agent = JSON.parse(Buffer.from(entries['agent.json']!).toString('utf8'));
    expect(agent.defaultTimezone).toBe('Europe/Madrid');
    const intent = JSON.parse(Buffer.from(entries['intents/book.flight.json']!).toString('utf8'));
    expect(intent.responses[0].parameters.map((p: { name: string }) => p.name)).toEqual(['geo-city', 'date']);
    expect(JSON.parse(Buffer.from(entries['entities/seat-class_entries_en.json']!).toString('utf8'))[1].value).toBe(
      'business',
    );
    const phrases = JSON.parse(Buffer.from(entries['intents/book.flight_usersays_en.json']!).toString('utf8'));
    // A custom entity has no type of its own: its meta is @<alias>.
    expect(phrases[2].data[1]).toEqual({
      text: 'business class',
      meta: '@seat-class',
      alias: 'seat-class',
      userDefined: true,
    });
    expect(phrases[0].data).toEqual([
      { text: 'book a flight to ', userDefined: false },
      { text: 'Paris', meta: '@sys.geo-city', alias: 'geo-city', userDefined: true },
      { text: ' on ', userDefined: false },
      { text: 'Friday', meta: '@sys.date', alias: 'date', userDefined: true },
    ]);
  });

  it('imports a Lex V2 bot export: slot references kept as written and flagged; fallback intent not warned', async () => {
    const zipFile = path.join(lab.dir, 'HotelBot_DRAFT_X_LexJson.zip');
    writeFileSync(zipFile, zipFolder(path.join(fixtures, 'lex')));
    const zipped = await ingest({ type: 'lex', path: zipFile });
    const folder = await ingest({ type: 'lex', path: path.join(fixtures, 'lex') });
    const xs = await examplesOf(lab, zipped.id);
    expect(await examplesOf(lab, folder.id)).toEqual(xs);
    expect(pairs(xs)).toEqual(
      [
        'BookHotel\u0000Book a hotel',
        'BookHotel\u0000I want to make hotel reservations',
        'BookHotel\u0000Book a {Nights} night stay in {Location}',
        'BookHotel\u0000I need a room in {Location}',
        'Greeting\u0000hello',
        'Greeting\u0000hi there',
      ].sort(),
    );
    expect(xs.find((x) => x.text.startsWith('Book a {'))!.metadata).toEqual({
      slot_references: ['Nights', 'Location'],
    });
    const report = await getValidation(lab, zipped.id);
    expect(report.findings.find((f) => f.id === 'intent_without_examples')!.examples).toEqual([{ intent: 'CheckOut' }]);
  });

  it('Lex round trip: the import layout with slots and slot types, the same examples', async () => {
    const d = await ingest({ type: 'lex', path: path.join(fixtures, 'lex') });
    const { original, imported, bytes, reExported } = await roundTrip(d.id, 'lex');
    expect(pairs(imported)).toEqual(pairs(original));
    expect(Buffer.from(reExported).equals(Buffer.from(bytes))).toBe(true);
    const names = Object.keys(unzipSync(bytes));
    expect(names).toContain('manifest.json');
    expect(names).toContain(`${d.name}/Bot.json`.replace(d.name, 'HotelBot'));
    expect(names).toContain('HotelBot/BotLocales/en_US/Intents/BookHotel/Slots/Location/Slot.json');
    expect(names).toContain('HotelBot/BotLocales/en_US/Intents/FallbackIntent/Intent.json');
    expect(names).toContain('HotelBot/BotLocales/en_US/SlotTypes/RoomType/SlotType.json');
  });

  it('cross-format: Rasa data exported for Dialogflow and Lex keeps examples and labels (and entities in Dialogflow)', async () => {
    const d = await ingest({ type: 'rasa', path: path.join(fixtures, 'rasa/nlu.yml') });
    for (const format of ['dialogflow', 'lex', 'csv', 'jsonl'] as const) {
      const { original, imported } = await roundTrip(d.id, format);
      expect(pairs(imported), format).toEqual(pairs(original));
    }
    const { original, imported } = await roundTrip(d.id, 'dialogflow');
    const spans = (xs: StoredExample[]) =>
      xs
        .map((x) =>
          ((x.metadata?.entities as Array<{ entity: string; start: number }>) ?? []).map(
            (e) => `${e.entity}@${e.start}`,
          ),
        )
        .sort();
    // Dialogflow parts cannot overlap: the second annotation of "Anna" is the one format limit.
    expect(spans(imported)).toEqual(spans(original).map((s) => s.filter((e) => e !== 'payee@14')));
  });

  it('CSV and JSONL exports keep splits and re-import to the same examples', async () => {
    const file = path.join(lab.dir, 'split.jsonl');
    writeFileSync(
      file,
      [
        { text: 'hi', label: 'greet', split: 'train' },
        { text: '=1+1, "quoted"\nline two', label: 'math', split: 'train', source: 'x' },
        { text: 'hello', label: 'greet', split: 'test' },
        { text: '- dash first', label: '__proto__', split: 'test' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const d = await ingest({ type: 'jsonl', path: file });
    for (const format of ['csv', 'jsonl'] as const) {
      const { original, imported, bytes, reExported } = await roundTrip(d.id, format);
      expect(imported.map((x) => [x.split, x.label, x.text])).toEqual(original.map((x) => [x.split, x.label, x.text]));
      expect(Buffer.from(reExported).equals(Buffer.from(bytes))).toBe(true);
      if (format === 'jsonl') expect(imported.map((x) => x.metadata)).toEqual(original.map((x) => x.metadata));
    }
  });

  it('labels that are object keys or paths survive every format; zip entries stay inside the archive', async () => {
    const file = path.join(lab.dir, 'odd-labels.jsonl');
    const rows = [
      { text: 'what is a prototype', label: '__proto__' },
      { text: 'who built this', label: 'constructor' },
      { text: 'go up a folder', label: '../../etc/passwd' },
      { text: 'faq about fees: {fees} and [brackets]', label: 'faq/fees' },
      { text: 'quotes "double" and \'single\' # not a comment', label: 'x: y' },
    ];
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n'));
    const d = await ingest({ type: 'jsonl', path: file });
    for (const format of ['rasa', 'dialogflow', 'lex'] as const) {
      const { original, imported, bytes } = await roundTrip(d.id, format);
      expect(pairs(imported), format).toEqual(pairs(original));
      if (format !== 'rasa') {
        for (const name of Object.keys(unzipSync(bytes)))
          expect(name.split('/'), `${format}: ${name}`).not.toContain('..');
      }
    }
  });

  it('a conversation log without labelled examples cannot be exported (clear error)', async () => {
    const d = await ingest({ type: 'rasa-tracker', path: path.join(fixtures, 'rasa-tracker') });
    await expect(exportDataset(lab, d.id, 'rasa')).rejects.toThrow(/has no labelled examples to export/);
    await expect(exportDataset(lab, d.id, 'xml')).rejects.toThrow(/unknown export format "xml"/);
  });
});
