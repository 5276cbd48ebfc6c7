import { cpSync } from 'node:fs';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fixtures, zipFolder } from '../datasets/interop-helpers.js';
import { createTestApi, type TestApi } from '../support/api.js';
import { describeEachDialect } from '../support/databases.js';

/** A multipart/form-data body built by hand (fields, then one file part). */
function multipart(fields: Record<string, string>, file: { name: string; content: string | Buffer | Uint8Array }) {
  const boundary = `----chatlab${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    Buffer.from(file.content),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describeEachDialect('bot platform formats through the API', (dialect) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi(dialect);
    // DATASET_DIR holds the exports a team copied to the server.
    cpSync(path.join(fixtures, 'dialogflow'), path.join(api.lab.settings.datasetDir, 'agents/travel'), {
      recursive: true,
    });
  });
  afterAll(async () => api?.close());

  it('uploads a Lex zip (multipart) and a Dialogflow folder (file_path, with a language), exports each', async () => {
    const lex = multipart(
      { dataset_type: 'lex', name: 'hotel' },
      { name: 'HotelBot.zip', content: zipFolder(path.join(fixtures, 'lex')) },
    );
    const up = await api.app.inject({ method: 'POST', url: '/datasets/upload', ...lex });
    expect(up.statusCode, up.body).toBe(201);
    const hotel = up.json().dataset;
    expect(hotel).toMatchObject({ type: 'lex', example_count: 6, label_count: 2, source: 'upload:HotelBot.zip' });

    const df = await api.app.inject({
      method: 'POST',
      url: '/datasets/upload',
      payload: {
        dataset_type: 'dialogflow',
        file_path: 'agents/travel',
        name: 'travel-de',
        options: { language: 'de' },
      },
    });
    expect(df.statusCode, df.body).toBe(201);
    expect(df.json().dataset.example_count).toBe(1);

    const res = await api.app.inject({ method: 'GET', url: `/datasets/hotel/export?format=lex` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['content-disposition']).toBe('attachment; filename="hotel-v1-lex.zip"');
    expect(res.headers['x-chatlab-examples']).toBe('6');
    expect(Object.keys(unzipSync(res.rawPayload))).toContain('HotelBot/BotLocales/en_US/Intents/BookHotel/Intent.json');
    const again = await api.app.inject({ method: 'GET', url: `/datasets/${hotel.id}/export?format=lex` });
    expect(again.rawPayload.equals(res.rawPayload)).toBe(true);

    const yml = await api.app.inject({ method: 'GET', url: `/datasets/hotel@1/export?format=rasa` });
    expect(yml.headers['content-type']).toBe('application/yaml; charset=utf-8');
    expect(yml.body).toContain('- intent: BookHotel\n  examples: |\n    - Book a hotel\n');

    const meta = (await api.app.inject({ method: 'GET', url: `/datasets/${hotel.id}/metadata` })).json();
    expect(meta).toMatchObject({ dataset_id: hotel.id, inherited_from: null, metadata: { lex: { locale: 'en_US' } } });
    expect(meta.metadata.lex.bot.name).toBe('HotelBot');

    // The Rasa file goes back in through the same upload.
    const back = await api.app.inject({
      method: 'POST',
      url: '/datasets/upload',
      ...multipart({ dataset_type: 'rasa', name: 'hotel-rasa' }, { name: 'nlu.yml', content: yml.rawPayload }),
    });
    expect(back.statusCode, back.body).toBe(201);
    expect(back.json().dataset).toMatchObject({ example_count: 6, label_count: 2 });
    // As a new version of "hotel", it carries no metadata of its own and inherits the bot's.
    const v2 = await api.app.inject({
      method: 'POST',
      url: '/datasets/upload',
      ...multipart(
        { dataset_type: 'rasa', name: 'hotel', new_version: 'true' },
        { name: 'nlu.yml', content: yml.rawPayload },
      ),
    });
    expect(v2.json().dataset).toMatchObject({ name: 'hotel', version: 2 });
    const inherited = (await api.app.inject({ method: 'GET', url: '/datasets/hotel@2/metadata' })).json();
    expect(inherited.inherited_from).toBe(hotel.id);
    const lexAgain = await api.app.inject({ method: 'GET', url: '/datasets/hotel@2/export?format=lex' });
    expect(lexAgain.rawPayload.equals(res.rawPayload)).toBe(true);
  });

  it('bad format or bad file: 400 with the error shape, nothing stored', async () => {
    const before = (await api.app.inject({ method: 'GET', url: '/datasets' })).json().items.length;
    const format = await api.app.inject({ method: 'GET', url: '/datasets/1/export?format=xml' });
    expect(format.statusCode).toBe(400);
    expect(format.json().error.code).toBe('VALIDATION_ERROR');
    const missing = await api.app.inject({ method: 'GET', url: '/datasets/999/export?format=csv' });
    expect(missing.statusCode).toBe(404);

    const bad = await api.app.inject({
      method: 'POST',
      url: '/datasets/upload',
      ...multipart(
        { dataset_type: 'rasa' },
        { name: 'nlu.yml', content: 'nlu:\n- intent: greet\n  examples: |\n    - hi\n  - [\n' },
      ),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/nlu\.yml line \d+: malformed YAML/);
    expect(bad.json().error.details[0]).toMatchObject({ field: 'file', line: expect.any(Number) });
    const after = (await api.app.inject({ method: 'GET', url: '/datasets' })).json().items.length;
    expect(after).toBe(before);
  });

  it('the OpenAPI document lists the export route and the new dataset types', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(
      doc.paths['/datasets/{id}/export'].get.parameters.find((p: { name: string }) => p.name === 'format'),
    ).toBeTruthy();
    expect(JSON.stringify(doc.paths['/datasets/upload'])).toContain('rasa-tracker');
  });
});
