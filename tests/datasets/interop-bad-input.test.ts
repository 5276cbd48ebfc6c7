import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { ingestDataset } from '../../src/datasets/ingest.js';
import type { IngestRequest } from '../../src/datasets/types.js';
import { createTestLab, describeEachDialect, type TestLab } from '../support/databases.js';
import { fixtures } from './interop-helpers.js';
import { tableCounts, write } from './helpers.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** Each platform format's bad input: a one-line message naming the file (and line), nothing stored. */
describeEachDialect('bot platform bad input', (dialect) => {
  let lab: TestLab;
  let dir: string;
  let n = 0;
  beforeAll(async () => {
    lab = await createTestLab(dialect);
    dir = lab.dir;
    await ingestDataset(lab, { type: 'rasa', path: path.join(fixtures, 'rasa/nlu.yml') });
  });
  afterAll(async () => lab?.cleanup());

  async function rejects(request: IngestRequest, message: RegExp): Promise<void> {
    const before = await tableCounts(lab);
    // A fresh name, so the error is about the content and not a name clash.
    const err = await ingestDataset(lab, { name: `bad-${++n}`, ...request }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, `expected ${message} to be thrown`).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
    expect(await tableCounts(lab)).toEqual(before);
  }

  it('Rasa: invalid YAML names the file and line; a broken annotation names its line', async () => {
    const bad = write(
      dir,
      'rasa-bad/nlu.yml',
      'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n  - oops: [\n',
    );
    await rejects({ type: 'rasa', path: bad }, /nlu\.yml line \d+: malformed YAML/);
    const annotation = write(
      dir,
      'rasa-annot.yml',
      'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n    - fly to [Paris]{"entity": city}\n',
    );
    await rejects(
      { type: 'rasa', path: annotation },
      /rasa-annot\.yml line 6: entity annotation \[Paris\]\{"entity": city\} is not valid JSON/,
    );
    const noNlu = write(dir, 'domain.yml', 'version: "3.1"\nintents:\n- greet\n');
    await rejects({ type: 'rasa', path: noNlu }, /domain\.yml: has no nlu: section/);
    const md = write(dir, 'bad.md', '## intent:greet\n- hi\nhello without a dash\n');
    await rejects({ type: 'rasa', path: md }, /bad\.md line 3: expected "- example" under a "## intent:name" header/);
  });

  it('Dialogflow: a usersays file without its intent file; malformed JSON names the line', async () => {
    const folder = path.join(dir, 'df-orphan');
    write(folder, 'agent.json', JSON.stringify({ language: 'en' }));
    write(folder, 'intents/greet.json', JSON.stringify({ name: 'greet' }));
    write(folder, 'intents/greet_usersays_en.json', JSON.stringify([{ data: [{ text: 'hi' }] }]));
    write(folder, 'intents/book_usersays_en.json', JSON.stringify([{ data: [{ text: 'book it' }] }]));
    await rejects(
      { type: 'dialogflow', path: folder },
      /book_usersays_en\.json: has no intent file intents\/book\.json beside it/,
    );
    const zip = path.join(dir, 'df-broken.zip');
    writeFileSync(
      zip,
      zipSync({
        'agent.json': enc('{"language": "en"}'),
        'intents/greet.json': enc('{\n  "name": "greet",\n  "auto": true,,\n}'),
        'intents/greet_usersays_en.json': enc('[]'),
      }),
    );
    await rejects({ type: 'dialogflow', path: zip }, /df-broken\.zip!\/intents\/greet\.json line 3: malformed JSON/);
    await rejects(
      { type: 'dialogflow', path: path.join(fixtures, 'dialogflow'), language: 'fr' },
      /no training phrases in language "fr" \(found de, en\)/,
    );
  });

  it('Lex: an intent folder without Intent.json; several locales without --language; a corrupt zip', async () => {
    const zip = path.join(dir, 'lex-missing.zip');
    writeFileSync(
      zip,
      zipSync({
        'manifest.json': enc('{}'),
        'Bot/Bot.json': enc('{"name": "Bot"}'),
        'Bot/BotLocales/en_US/Intents/Greeting/Intent.json': enc(
          '{"name": "Greeting", "sampleUtterances": [{"utterance": "hi"}]}',
        ),
        'Bot/BotLocales/en_US/Intents/Order/Slots/Item/Slot.json': enc('{"name": "Item"}'),
      }),
    );
    await rejects(
      { type: 'lex', path: zip },
      /lex-missing\.zip: intent folder Bot\/BotLocales\/en_US\/Intents\/Order has no Intent\.json/,
    );
    const two = path.join(dir, 'lex-two.zip');
    writeFileSync(
      two,
      zipSync({
        'Bot/BotLocales/en_US/Intents/A/Intent.json': enc('{"name": "A", "sampleUtterances": [{"utterance": "a"}]}'),
        'Bot/BotLocales/de_DE/Intents/A/Intent.json': enc('{"name": "A", "sampleUtterances": [{"utterance": "a"}]}'),
      }),
    );
    await rejects({ type: 'lex', path: two }, /has several locales \(de_DE, en_US\); choose one with --language/);
    const none = path.join(dir, 'lex-none.zip');
    writeFileSync(none, zipSync({ 'manifest.json': enc('{}') }));
    await rejects({ type: 'lex', path: none }, /contains no Intents\/<name>\/Intent\.json/);
    const corrupt = write(dir, 'corrupt.zip', 'PK\u0003\u0004 this is not really a zip');
    await rejects({ type: 'lex', path: corrupt }, /corrupt\.zip: is not a readable zip archive/);
  });

  it('Rasa tracker: malformed JSON line, a tracker without sender_id, the same sender twice', async () => {
    const lines = write(dir, 'trackers.jsonl', '{"sender_id": "a", "events": []}\n{"sender_id": "b", "events": [}\n');
    await rejects({ type: 'rasa-tracker', path: lines }, /trackers\.jsonl line 2: malformed JSON/);
    const noSender = write(dir, 'nosender.json', JSON.stringify({ events: [{ event: 'user', text: 'hi' }] }));
    await rejects({ type: 'rasa-tracker', path: noSender }, /nosender\.json: tracker: has no sender_id/);
    const twice = write(
      dir,
      'twice.json',
      JSON.stringify([
        { sender_id: 'x', events: [{ event: 'user', text: 'hi' }] },
        { sender_id: 'x', events: [{ event: 'user', text: 'hi again' }] },
      ]),
    );
    await rejects({ type: 'rasa-tracker', path: twice }, /twice\.json: tracker #2: sender_id "x" appears twice/);
  });
});
