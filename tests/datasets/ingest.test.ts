import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { getConversation, listConversations } from '../../src/conversations/repository.js';
import { ingestDataset } from '../../src/datasets/ingest.js';
import {
  deleteDataset,
  getDataset,
  getLabelledExamples,
  listDatasets,
  listExamples,
} from '../../src/datasets/repository.js';
import { getDatasetSummary } from '../../src/datasets/summary.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import { banking77Dir, csv, sgdDir, tableCounts, write } from './helpers.js';

/** BANKING77 counted straight from the raw CSV files. */
function rawBanking77() {
  const read = (f: string) =>
    parse(readFileSync(path.join(banking77Dir, f)), { columns: true, skip_empty_lines: true }) as Array<{
      text: string;
      category: string;
    }>;
  const train = read('train.csv');
  const test = read('test.csv');
  return { train, test, labels: new Set([...train, ...test].map((r) => r.category)) };
}

interface RawTurn {
  speaker: string;
  utterance: string;
  frames: Array<{ state?: { active_intent: string } }>;
}

/** The SGD subset counted straight from its JSON files. */
function rawSgd() {
  const splits: Record<string, { dialogues: number; turns: number; userTurns: number; examples: number }> = {};
  const labels = new Set<string>();
  for (const split of ['train', 'dev', 'test']) {
    const dir = path.join(sgdDir, split);
    let files: string[];
    try {
      files = readdirSync(dir).filter((f) => f.startsWith('dialogues_'));
    } catch {
      continue;
    }
    const s = (splits[split] = { dialogues: 0, turns: 0, userTurns: 0, examples: 0 });
    for (const f of files) {
      const dialogues = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Array<{ turns: RawTurn[] }>;
      s.dialogues += dialogues.length;
      for (const d of dialogues) {
        s.turns += d.turns.length;
        for (const t of d.turns) {
          if (t.speaker !== 'USER') continue;
          s.userTurns++;
          const intents = t.frames.map((fr) => fr.state?.active_intent).filter(Boolean) as string[];
          if (intents.length === 0) continue;
          s.examples++;
          labels.add(intents.find((i) => i !== 'NONE') ?? 'NONE');
        }
      }
    }
  }
  return { splits, labels };
}

describeEachDialect('dataset ingestion', (dialect) => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await createTestLab(dialect);
  });
  afterAll(async () => lab?.cleanup());

  it('ingests the real BANKING77 with the counts of its raw files', async () => {
    const raw = rawBanking77();
    const progress: number[] = [];
    const { dataset, created } = await ingestDataset(lab, { type: 'banking77', path: banking77Dir }, (p) =>
      progress.push(p.rows),
    );
    expect(created).toBe(true);
    expect(raw.train.length).toBe(10003);
    expect(dataset).toMatchObject({
      name: 'banking77',
      type: 'banking77',
      version: 1,
      split_counts: { train: raw.train.length, test: raw.test.length },
      label_count: raw.labels.size,
      example_count: raw.train.length + raw.test.length,
      conversation_count: 0,
      turn_count: 0,
    });
    expect(progress.at(-1)).toBe(raw.train.length + raw.test.length);

    const labelled = await getLabelledExamples(lab, dataset.id);
    expect(labelled).toHaveLength(raw.train.length + raw.test.length);
    expect(new Set(labelled.map((e) => e.label))).toEqual(raw.labels);
    // Quoted fields with commas survive intact, in file order.
    const withComma = raw.train.findIndex((r) => r.text.includes(','));
    expect(labelled[withComma]).toMatchObject({ split: 'train', label: raw.train[withComma]!.category });
    expect(labelled[withComma]!.text).toBe(raw.train[withComma]!.text.normalize('NFKC').replace(/\s+/g, ' ').trim());

    const summary = await getDatasetSummary(lab, dataset.id);
    expect(summary.splits.train).toEqual({
      examples: raw.train.length,
      labels: new Set(raw.train.map((r) => r.category)).size,
    });
    const cardArrival = raw.train.filter((r) => r.category === 'card_arrival').length;
    expect(summary.labels.find((l) => l.label === 'card_arrival')!.by_split.train).toBe(cardArrival);
  });

  it('returns the stored dataset for identical content, and stores version 2 with newVersion', async () => {
    const before = await tableCounts(lab);
    const again = await ingestDataset(lab, { type: 'banking77', path: banking77Dir });
    expect(again.created).toBe(false);
    expect(again.dataset.version).toBe(1);
    expect(await tableCounts(lab)).toEqual(before);

    const v2 = await ingestDataset(lab, { type: 'banking77', path: banking77Dir, newVersion: true });
    expect(v2.created).toBe(true);
    expect(v2.dataset).toMatchObject({ name: 'banking77', version: 2, example_count: 13083 });
    expect((await getDataset(lab, 'banking77')).id).toBe(v2.dataset.id);
    expect((await getDataset(lab, 'banking77@1')).version).toBe(1);
    await deleteDataset(lab, v2.dataset.id);
  });

  it('ingests the SGD subset: dialogues, turns and USER-turn examples as in the raw JSON', async () => {
    const raw = rawSgd();
    const { dataset } = await ingestDataset(lab, { type: 'sgd', path: sgdDir });
    const dialogues = Object.values(raw.splits).reduce((a, s) => a + s.dialogues, 0);
    const turns = Object.values(raw.splits).reduce((a, s) => a + s.turns, 0);
    expect(dataset.conversation_count).toBe(dialogues);
    expect(dataset.turn_count).toBe(turns);
    expect(dataset.split_counts).toEqual(
      Object.fromEntries(Object.entries(raw.splits).map(([k, s]) => [k, s.examples])),
    );
    expect(dataset.label_count).toBe(raw.labels.size);

    const summary = await getDatasetSummary(lab, dataset.id);
    expect(summary.conversations.by_split).toEqual(
      Object.fromEntries(Object.entries(raw.splits).map(([k, s]) => [k, s.dialogues])),
    );
    expect(summary.conversations.speakers.USER).toBe(Object.values(raw.splits).reduce((a, s) => a + s.userTurns, 0));

    // The first train dialogue, turn by turn.
    const first = (
      JSON.parse(readFileSync(path.join(sgdDir, 'train/dialogues_001.json'), 'utf8')) as Array<{
        dialogue_id: string;
        turns: RawTurn[];
      }>
    )[0]!;
    const page = await listConversations(lab, { dataset_id: dataset.id, limit: 1 });
    const conversation = await getConversation(lab, page.items[0]!.id);
    expect(conversation.external_id).toBe(`train/${first.dialogue_id}`);
    expect(conversation.turns.map((t) => [t.speaker, t.text])).toEqual(
      first.turns.map((t) => [t.speaker, t.utterance]),
    );
    expect(conversation.turns[0]!.intent).toBe(first.turns[0]!.frames[0]!.state!.active_intent);
    expect(conversation.turns[0]!.sentiment).toEqual(expect.any(Number));
    expect(conversation.turns[1]!.sentiment).toBeNull();
    expect(conversation.turns[0]!.metadata).toMatchObject({ services: expect.any(Array), acts: expect.any(Array) });
  });

  it('keeps NONE-intent USER turns as marked examples', async () => {
    const dir = lab.dir;
    const dialogue = {
      dialogue_id: 'd1',
      services: ['Banks_1'],
      turns: [
        {
          speaker: 'USER',
          utterance: 'Check my balance',
          frames: [
            {
              service: 'Banks_1',
              actions: [],
              slots: [],
              state: {
                active_intent: 'CheckBalance',
                requested_slots: [],
                slot_values: { account_type: ['checking'] },
              },
            },
          ],
        },
        {
          speaker: 'SYSTEM',
          utterance: 'Which account?',
          frames: [{ service: 'Banks_1', actions: [{ act: 'REQUEST', slot: 'account_type', values: [] }], slots: [] }],
        },
        {
          speaker: 'USER',
          utterance: 'Thanks, bye',
          frames: [
            {
              service: 'Banks_1',
              actions: [],
              slots: [],
              state: { active_intent: 'NONE', requested_slots: [], slot_values: {} },
            },
          ],
        },
      ],
    };
    write(dir, 'sgd-mini/schema.json', '[]');
    write(dir, 'sgd-mini/dialogues_001.json', JSON.stringify([dialogue]));
    const { dataset } = await ingestDataset(lab, { type: 'sgd', path: path.join(dir, 'sgd-mini') });
    const page = await listExamples(lab, dataset.id, { label: 'NONE' });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]!.metadata).toMatchObject({ none_intent: true, dialogue_id: 'd1', turn: 2 });
    const conv = (await listConversations(lab, { dataset_id: dataset.id })).items[0]!;
    expect(conv.metadata).toMatchObject({ services: ['Banks_1'] });
    const turns = (await getConversation(lab, conv.id)).turns;
    expect(turns[0]!.metadata).toMatchObject({ slot_values: { account_type: ['checking'] } });
    expect(turns[1]!.metadata).toMatchObject({ acts: [{ act: 'REQUEST', slot: 'account_type' }] });
  });

  it('loads Bitext rows as examples and two-turn conversations', async () => {
    const file = write(
      lab.dir,
      'bitext.csv',
      csv([
        ['flags', 'instruction', 'category', 'intent', 'response'],
        ['B', 'I want to cancel my order, please', 'ORDER', 'cancel_order', 'I can help you cancel it.'],
        ['BL', 'where is my refund', 'REFUND', 'track_refund', 'Let me check, "one moment".'],
      ]),
    );
    const { dataset } = await ingestDataset(lab, { type: 'bitext', path: file });
    expect(dataset).toMatchObject({ example_count: 2, label_count: 2, conversation_count: 2, turn_count: 4 });
    const examples = await listExamples(lab, dataset.id);
    expect(examples.items[0]).toMatchObject({
      text: 'I want to cancel my order, please',
      label: 'cancel_order',
      metadata: { category: 'ORDER', flags: 'B' },
    });
    const conv = (await listConversations(lab, { dataset_id: dataset.id })).items[1]!;
    const turns = (await getConversation(lab, conv.id)).turns;
    expect(turns.map((t) => [t.speaker, t.text, t.intent])).toEqual([
      ['USER', 'where is my refund', 'track_refund'],
      ['SYSTEM', 'Let me check, "one moment".', null],
    ]);
  });

  it('loads a CSV conversation log: speakers mapped, timestamps parsed, sentiment of USER turns', async () => {
    const file = write(
      lab.dir,
      'log.csv',
      csv([
        ['session', 'who', 'message', 'when', 'intent', 'channel'],
        ['s1', 'customer', 'My card was stolen!', '2024-03-01T10:00:00Z', 'lost_or_stolen_card', 'web'],
        ['s1', 'bot', 'I have frozen your card.', '2024-03-01T10:00:05Z', '', 'web'],
        ['s2', 'Human', 'I love this app, thanks', '1709290000', 'thanks', 'app'],
        ['s1', 'user', 'great, thank you', '1709287210000', '', 'web'],
        ['s2', 'Operator', 'Anything else?', '', '', 'app'],
      ]),
    );
    const { dataset } = await ingestDataset(lab, {
      type: 'csv',
      path: file,
      name: 'support-log',
      mapping: { conversation: 'session', speaker: 'who', text: 'message', timestamp: 'when' },
    });
    expect(dataset).toMatchObject({ name: 'support-log', conversation_count: 2, turn_count: 5, example_count: 2 });
    const convs = (await listConversations(lab, { dataset_id: dataset.id })).items;
    const s1 = await getConversation(lab, convs[0]!.id);
    expect(s1.turns.map((t) => t.speaker)).toEqual(['USER', 'SYSTEM', 'USER']);
    expect(s1.turns.map((t) => t.ts)).toEqual([
      Date.parse('2024-03-01T10:00:00Z'),
      Date.parse('2024-03-01T10:00:05Z'),
      1709287210000,
    ]);
    expect(s1).toMatchObject({
      turn_count: 3,
      started_at: Date.parse('2024-03-01T10:00:00Z'),
      ended_at: 1709287210000,
    });
    expect(s1.turns[0]!.intent).toBe('lost_or_stolen_card');
    expect(s1.turns[0]!.metadata).toEqual({ channel: 'web' });
    expect(s1.turns[0]!.sentiment!).toBeLessThan(0);
    expect(s1.turns[1]!.sentiment).toBeNull();
    const s2 = await getConversation(lab, convs[1]!.id);
    expect(s2.turns.map((t) => t.speaker)).toEqual(['USER', 'OPERATOR']);
    expect(s2.turns[0]!.ts).toBe(1709290000 * 1000);
    expect(s2.turns[0]!.sentiment!).toBeGreaterThan(0.5);
    expect(s2.turns[1]!.ts).toBeNull();
    // Filters
    expect((await listConversations(lab, { dataset_id: dataset.id, intent: 'thanks' })).items.map((c) => c.id)).toEqual(
      [s2.id],
    );
    expect(
      (await listConversations(lab, { dataset_id: dataset.id, speaker: 'operator' })).items.map((c) => c.id),
    ).toEqual([s2.id]);
    expect((await listConversations(lab, { dataset_id: dataset.id, q: 'FROZEN' })).items.map((c) => c.id)).toEqual([
      s1.id,
    ]);
  });

  it('loads JSON Lines labelled data with splits and a label mapping', async () => {
    const lines = [
      { utterance: 'hello there', tag: 'greet', part: 'train', lang: 'en' },
      { utterance: 'bye now', tag: 'bye', part: 'test' },
      { utterance: 'hi', tag: 'greet' },
    ];
    const file = write(lab.dir, 'data.jsonl', `${lines.map((l) => JSON.stringify(l)).join('\n')}\n\n`);
    const { dataset } = await ingestDataset(lab, {
      type: 'jsonl',
      path: file,
      mapping: { text: 'utterance', label: 'tag', split: 'part' },
    });
    expect(dataset).toMatchObject({ split_counts: { train: 2, test: 1 }, label_count: 2, conversation_count: 0 });
    const items = (await listExamples(lab, dataset.id)).items;
    expect(items.map((e) => [e.split, e.text, e.label])).toEqual([
      ['train', 'hello there', 'greet'],
      ['test', 'bye now', 'bye'],
      ['train', 'hi', 'greet'],
    ]);
    expect(items[0]!.metadata).toEqual({ lang: 'en' });
  });

  it('records preprocessing and keeps the original text', async () => {
    const file = write(
      lab.dir,
      'pre.csv',
      csv([
        ['text', 'label'],
        ['  Ｈｅｌｌｏ   WORLD\t', 'a'],
        ['   ', 'b'],
        ['ok', 'b'],
      ]),
    );
    const { dataset } = await ingestDataset(lab, {
      type: 'csv',
      path: file,
      preprocess: { lowercase: true, dropEmpty: true },
    });
    expect(dataset.preprocess).toEqual({
      nfkc: true,
      collapseWhitespace: true,
      trim: true,
      lowercase: true,
      dropEmpty: true,
    });
    const items = (await listExamples(lab, dataset.id)).items;
    expect(items.map((e) => [e.text, e.norm_text])).toEqual([
      ['  Ｈｅｌｌｏ   WORLD\t', 'hello world'],
      ['ok', 'ok'],
    ]);
    expect((await getLabelledExamples(lab, dataset.id)).map((e) => e.text)).toEqual(['hello world', 'ok']);
    // Different preprocessing of the same file is different content: a new dataset (new name needed).
    const raw = await ingestDataset(lab, {
      type: 'csv',
      path: file,
      name: 'pre-raw',
      preprocess: { nfkc: false, collapseWhitespace: false, trim: false },
    });
    expect(raw.created).toBe(true);
    expect((await listExamples(lab, raw.dataset.id)).items[0]!.norm_text).toBe('  Ｈｅｌｌｏ   WORLD\t');
  });

  it('refuses different content under an existing name unless newVersion is given', async () => {
    const a = write(
      lab.dir,
      'v/a.csv',
      csv([
        ['text', 'label'],
        ['one', 'x'],
      ]),
    );
    const b = write(
      lab.dir,
      'v/b.csv',
      csv([
        ['text', 'label'],
        ['two', 'y'],
      ]),
    );
    await ingestDataset(lab, { type: 'csv', path: a, name: 'versioned' });
    await expect(ingestDataset(lab, { type: 'csv', path: b, name: 'versioned' })).rejects.toThrow(
      /already exists.*new-version/,
    );
    const v2 = await ingestDataset(lab, { type: 'csv', path: b, name: 'versioned', newVersion: true });
    expect(v2.dataset.version).toBe(2);
  });

  it('a bad row at 9,000 leaves nothing behind (examples and conversation logs)', async () => {
    const before = await tableCounts(lab);
    const rows = [['text', 'label']];
    for (let i = 1; i <= 10_000; i++) rows.push([`text number ${i}`, i === 9000 ? '' : `l${i % 7}`]);
    const file = write(lab.dir, 'bad-at-9000.csv', csv(rows));
    await expect(ingestDataset(lab, { type: 'csv', path: file })).rejects.toThrow(/row 9000: empty label/);
    expect(await tableCounts(lab)).toEqual(before);

    const lines: string[] = [];
    for (let i = 1; i <= 10_000; i++) {
      lines.push(
        JSON.stringify({
          conversation_id: `c${i % 50}`,
          speaker: i % 2 ? 'user' : 'bot',
          text: `t${i}`,
          timestamp: i === 9000 ? 'yesterday' : 1700000000 + i,
        }),
      );
    }
    const log = write(lab.dir, 'bad-at-9000.jsonl', lines.join('\n'));
    await expect(ingestDataset(lab, { type: 'jsonl', path: log })).rejects.toThrow(/line 9000: timestamp "yesterday"/);
    expect(await tableCounts(lab)).toEqual(before);
  });

  it('pages examples with a cursor and filters by split, label and text', async () => {
    const bank = await getDataset(lab, 'banking77');
    const seen = new Set<number>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listExamples(lab, bank.id, { split: 'test', label: 'card_arrival', limit: 15, cursor });
      for (const e of page.items) {
        expect(e).toMatchObject({ split: 'test', label: 'card_arrival' });
        seen.add(e.id);
      }
      cursor = page.next_cursor ?? undefined;
      pages++;
    } while (cursor);
    const raw = rawBanking77().test.filter((r) => r.category === 'card_arrival').length;
    expect(seen.size).toBe(raw);
    expect(pages).toBe(Math.ceil(raw / 15));
    const q = await listExamples(lab, bank.id, { q: 'PIN', limit: 1000 });
    expect(q.items.length).toBeGreaterThan(0);
    for (const e of q.items) expect(e.text.toLowerCase()).toContain('pin');
  });

  it('deletes a dataset with its examples, conversations and turns', async () => {
    const sgd = await getDataset(lab, 'sgd');
    const before = await tableCounts(lab);
    await deleteDataset(lab, sgd.id);
    const after = await tableCounts(lab);
    expect(after).toEqual({
      datasets: before.datasets! - 1,
      examples: before.examples! - sgd.example_count,
      conversations: before.conversations! - sgd.conversation_count,
      turns: before.turns! - sgd.turn_count,
    });
    await expect(getDataset(lab, sgd.id)).rejects.toThrow(/not found/);
    expect((await listDatasets(lab)).map((d) => d.name)).not.toContain('sgd');
  });
});
