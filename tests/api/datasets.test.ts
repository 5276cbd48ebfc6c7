import { cpSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApi, type TestApi } from '../support/api.js';
import { describeEachDialect } from '../support/databases.js';
import { banking77Dir, csv, tableCounts, write } from '../datasets/helpers.js';

/** A multipart/form-data body built by hand (fields, then one file part). */
function multipart(fields: Record<string, string>, file?: { name: string; content: string | Buffer }) {
  const boundary = `----chatlab${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  if (file) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content),
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describeEachDialect('datasets API', (dialect) => {
  let api: TestApi;
  let datasetDir: string;
  let bankingId: number;

  beforeAll(async () => {
    api = await createTestApi(dialect, { DATASET_DIR: 'Dataset', MAX_UPLOAD_MB: '1' });
    datasetDir = api.lab.settings.datasetDir;
    mkdirSync(datasetDir, { recursive: true });
    // A copy in the lab's temp DATASET_DIR: a symlink to ../shared would (rightly) be refused.
    cpSync(banking77Dir, path.join(datasetDir, 'BANKING77'), { recursive: true });
  });
  afterAll(async () => api?.close());

  const post = (body: unknown) => api.app.inject({ method: 'POST', url: '/datasets/upload', payload: body as object });

  it('POST /datasets/upload ingests a folder inside DATASET_DIR and returns it with its summary', async () => {
    const res = await post({ dataset_type: 'banking77', file_path: 'BANKING77' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.created).toBe(true);
    expect(body.dataset).toMatchObject({
      name: 'BANKING77',
      split_counts: { train: 10003, test: 3080 },
      label_count: 77,
    });
    expect(body.summary.splits).toEqual({
      train: { examples: 10003, labels: 77 },
      test: { examples: 3080, labels: 77 },
    });
    expect(body.summary.validation).toMatchObject({ errors: 0 });
    bankingId = body.dataset.id;

    const again = await post({ dataset_type: 'banking77', file_path: 'BANKING77' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ created: false, dataset: { id: bankingId } });
  });

  it('refuses paths outside DATASET_DIR: absolute, .. and symlinks, storing nothing', async () => {
    const before = await tableCounts(api.lab);
    const outside = write(
      api.lab.dir,
      'outside/data.csv',
      csv([
        ['text', 'label'],
        ['a', 'b'],
      ]),
    );
    symlinkSync(path.dirname(outside), path.join(datasetDir, 'link-out'));
    mkdirSync(path.join(datasetDir, 'mixed'));
    write(
      datasetDir,
      'mixed/test.csv',
      csv([
        ['text', 'category'],
        ['a', 'b'],
      ]),
    );
    symlinkSync(outside, path.join(datasetDir, 'mixed/train.csv'));
    const cases: Array<[unknown, RegExp]> = [
      [{ dataset_type: 'csv', file_path: outside }, /is an absolute path/],
      [{ dataset_type: 'csv', file_path: '../outside/data.csv' }, /escapes DATASET_DIR/],
      [{ dataset_type: 'csv', file_path: 'BANKING77/../../outside/data.csv' }, /escapes DATASET_DIR/],
      [{ dataset_type: 'csv', file_path: 'link-out/data.csv' }, /leads outside DATASET_DIR through a symlink/],
      [{ dataset_type: 'banking77', file_path: 'mixed' }, /leads outside DATASET_DIR through a symlink/],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.message).toMatch(message);
    }
    expect((await post({ dataset_type: 'csv', file_path: '../x.csv' })).json().error.details[0].field).toBe(
      'body.file_path',
    );
    expect(await tableCounts(api.lab)).toEqual(before);
  });

  it('bad requests answer 400 naming the field or the file', async () => {
    const unknownType = await post({ dataset_type: 'xml', file_path: 'BANKING77' });
    expect(unknownType.statusCode).toBe(400);
    expect(unknownType.json().error.details.map((d: { field: string }) => d.field)).toContain('body.dataset_type');
    const missing = await post({ dataset_type: 'sgd', file_path: 'SGD' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.message).toMatch(/does not exist; expected a folder of dialogues_\*\.json/);
    write(datasetDir, 'semi.csv', 'text;label\na;b\n');
    const semi = await post({ dataset_type: 'csv', file_path: 'semi.csv' });
    expect(semi.statusCode).toBe(400);
    expect(semi.json().error.message).toMatch(/semi\.csv line 1: looks delimited by ";"/);
    const extra = await post({ dataset_type: 'csv', file_path: 'semi.csv', options: { colour: 'red' } });
    expect(extra.statusCode).toBe(400);
  });

  it('multipart upload of a CSV conversation log, with options', async () => {
    const content = csv([
      ['conv', 'speaker', 'text', 'timestamp', 'intent'],
      ['c1', 'customer', 'I lost my card', '2024-05-01T09:00:00Z', 'lost_or_stolen_card'],
      ['c1', 'agent', 'Sorry to hear that', '2024-05-01T09:00:03Z', ''],
      ['c2', 'customer', 'thanks a lot', '2024-05-02T09:00:00Z', 'thanks'],
    ]);
    const form = multipart(
      { dataset_type: 'csv', name: 'support', options: JSON.stringify({ conversation_col: 'conv' }) },
      { name: 'log.csv', content },
    );
    const res = await api.app.inject({ method: 'POST', url: '/datasets/upload', ...form });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.dataset).toMatchObject({
      name: 'support',
      source: 'upload:log.csv',
      conversation_count: 2,
      turn_count: 3,
      example_count: 2,
    });
    expect(body.summary.conversations).toMatchObject({
      speakers: { USER: 2, SYSTEM: 1 },
      first_ts: Date.parse('2024-05-01T09:00:00Z'),
    });

    const list = await api.app.inject({
      method: 'GET',
      url: `/conversations?dataset_id=${body.dataset.id}&speaker=SYSTEM`,
    });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((c: { external_id: string }) => c.external_id)).toEqual(['c1']);
    const one = await api.app.inject({ method: 'GET', url: `/conversations/${list.json().items[0].id}` });
    expect(one.json().turns.map((t: { idx: number; speaker: string }) => [t.idx, t.speaker])).toEqual([
      [0, 'USER'],
      [1, 'SYSTEM'],
    ]);
    expect(one.json().turns[0].sentiment).toBeLessThan(0);
    const byIntent = await api.app.inject({
      method: 'GET',
      url: `/conversations?dataset_id=${body.dataset.id}&intent=thanks&q=LOT`,
    });
    expect(byIntent.json().items.map((c: { external_id: string }) => c.external_id)).toEqual(['c2']);
    expect((await api.app.inject({ method: 'GET', url: '/conversations/999999' })).statusCode).toBe(404);
  });

  it('multipart: over the size limit is 413, a bad file or missing type 400, and nothing is stored', async () => {
    const before = await tableCounts(api.lab);
    const big = csv([
      ['text', 'label'],
      ...Array.from({ length: 40_000 }, (_, i) => [`a fairly long text number ${i}`, 'x']),
    ]);
    expect(big.length).toBeGreaterThan(1024 * 1024);
    const tooBig = await api.app.inject({
      method: 'POST',
      url: '/datasets/upload',
      ...multipart({ dataset_type: 'csv' }, { name: 'big.csv', content: big }),
    });
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json().error).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      message: expect.stringMatching(/1 MB limit/),
    });

    const latin1 = Buffer.from('text,label\ncaf\xe9,x\n', 'latin1');
    const bad = await api.app.inject({
      method: 'POST',
      url: '/datasets/upload',
      ...multipart({ dataset_type: 'csv' }, { name: 'l.csv', content: latin1 }),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/l\.csv: is not valid UTF-8/);
    const noType = await api.app.inject({
      method: 'POST',
      url: '/datasets/upload',
      ...multipart({}, { name: 'x.csv', content: 'text,label\na,b\n' }),
    });
    expect(noType.statusCode).toBe(400);
    expect(noType.json().error.message).toMatch(/unknown dataset_type/);
    const exe = await api.app.inject({
      method: 'POST',
      url: '/datasets/upload',
      ...multipart({ dataset_type: 'csv' }, { name: 'x.exe', content: 'MZ' }),
    });
    expect(exe.statusCode).toBe(400);
    const noFile = await api.app.inject({
      method: 'POST',
      url: '/datasets/upload',
      ...multipart({ dataset_type: 'csv' }),
    });
    expect(noFile.statusCode).toBe(400);
    expect(await tableCounts(api.lab)).toEqual(before);
  });

  it('GET /datasets, /datasets/{id}, summary, validation, examples with cursor; DELETE', async () => {
    const list = (await api.app.inject({ method: 'GET', url: '/datasets' })).json();
    expect(list.items.map((d: { id: number }) => d.id)).toContain(bankingId);
    const one = await api.app.inject({ method: 'GET', url: `/datasets/${bankingId}` });
    expect(one.json()).toMatchObject({ id: bankingId, example_count: 13083 });
    expect((await api.app.inject({ method: 'GET', url: '/datasets/BANKING77' })).json().id).toBe(bankingId);
    const summary = (await api.app.inject({ method: 'GET', url: `/datasets/${bankingId}/summary` })).json();
    expect(summary.labels).toHaveLength(77);
    const validation = (await api.app.inject({ method: 'GET', url: `/datasets/${bankingId}/validation` })).json();
    expect(validation.findings.find((f: { id: string }) => f.id === 'rows_per_split').count).toBe(13083);
    const recomputed = await api.app.inject({ method: 'POST', url: `/datasets/${bankingId}/validation` });
    expect(recomputed.json().summary).toEqual(validation.summary);

    const page1 = (
      await api.app.inject({
        method: 'GET',
        url: `/datasets/${bankingId}/examples?split=test&label=card_arrival&limit=30`,
      })
    ).json();
    expect(page1.items).toHaveLength(30);
    const page2 = (
      await api.app.inject({
        method: 'GET',
        url: `/datasets/${bankingId}/examples?split=test&label=card_arrival&limit=30&cursor=${page1.next_cursor}`,
      })
    ).json();
    expect(page2.items[0].id).toBeGreaterThan(page1.items[29].id);
    const badCursor = await api.app.inject({ method: 'GET', url: `/datasets/${bankingId}/examples?cursor=abc` });
    expect(badCursor.statusCode).toBe(400);
    const badLimit = await api.app.inject({ method: 'GET', url: `/datasets/${bankingId}/examples?limit=0` });
    expect(badLimit.json().error.details[0].field).toBe('querystring.limit');

    const del = await api.app.inject({ method: 'DELETE', url: `/datasets/${bankingId}` });
    expect(del.statusCode).toBe(200);
    expect((await api.app.inject({ method: 'GET', url: `/datasets/${bankingId}` })).statusCode).toBe(404);
    expect((await api.app.inject({ method: 'DELETE', url: `/datasets/${bankingId}` })).statusCode).toBe(404);
  });

  it('documents every route in /docs/json', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/datasets/upload',
        '/datasets',
        '/datasets/{id}',
        '/datasets/{id}/summary',
        '/datasets/{id}/validation',
        '/datasets/{id}/examples',
        '/conversations',
        '/conversations/{id}',
      ]),
    );
    expect(doc.paths['/datasets/upload'].post.requestBody.content['application/json']).toBeDefined();
  });
});
