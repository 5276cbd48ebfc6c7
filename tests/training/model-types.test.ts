import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/program.js';
import { ValidationError } from '../../src/core/errors.js';
import { MODEL_TYPE_REGISTRY, MODEL_TYPES, loadClassifier } from '../../src/nlp/registry.js';
import { checkModelType } from '../../src/training/pipeline.js';
import { createTestApi, type TestApi } from '../support/api.js';

/** The full help of a command, with the text added after its options. */
function helpOf(program: Command, name: string): string {
  const command = program.commands.find((c) => c.name() === name)!;
  let text = '';
  command.configureOutput({ writeOut: (s) => (text += s) });
  command.outputHelp();
  return text;
}

describe('the model-type registry drives every list of model types', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi('sqlite');
  });
  afterAll(async () => api?.close());

  it('has one entry per type, keyed by the type it trains and loads', () => {
    expect(MODEL_TYPES.length).toBeGreaterThan(0);
    for (const [key, entry] of Object.entries(MODEL_TYPE_REGISTRY)) {
      expect(entry.type).toBe(key);
      expect(entry.description.length).toBeGreaterThan(10);
      expect(Object.keys(entry.paramSpec).length).toBeGreaterThan(0);
      expect(typeof entry.load).toBe('function');
    }
  });

  it('the OpenAPI enum of every training body and GET /model-types list exactly the registry', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json();
    for (const route of ['/training/run', '/training/hyperparameter-search', '/training/crossval']) {
      const schema = doc.paths[route].post.requestBody.content['application/json'].schema;
      expect(schema.properties.model_type.enum, route).toEqual(MODEL_TYPES);
      for (const type of MODEL_TYPES) expect(schema.properties.model_type.description, route).toContain(type);
    }
    const res = await api.app.inject({ method: 'GET', url: '/model-types' });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Array<{ type: string; description: string; params: object }>;
    expect(items.map((i) => i.type)).toEqual(MODEL_TYPES);
    for (const item of items) {
      const entry = MODEL_TYPE_REGISTRY[item.type as keyof typeof MODEL_TYPE_REGISTRY];
      expect(item.description).toBe(entry.description);
      expect(Object.keys(item.params)).toEqual(Object.keys(entry.paramSpec));
    }
  });

  it('the CLI help of train, tune, crossval and improve names every type', () => {
    const program = buildProgram();
    for (const name of ['train', 'tune', 'crossval', 'improve']) {
      const help = helpOf(program, name);
      expect(help, name).toContain(`--model <type>`);
      for (const type of MODEL_TYPES) expect(help, `${name} help`).toContain(type);
    }
    const train = helpOf(program, 'train');
    for (const entry of Object.values(MODEL_TYPE_REGISTRY)) {
      expect(train).toContain(entry.description);
      for (const param of Object.keys(entry.paramSpec)) expect(train).toContain(`${param}=`);
    }
  });

  it("rejects an unknown model type with the registry's list, in the domain and over HTTP", async () => {
    const err = (() => {
      try {
        checkModelType('bert-xl');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toBe(`unknown model type "bert-xl"; available: ${MODEL_TYPES.join(', ')}`);
    for (const key of ['constructor', '__proto__']) expect(() => checkModelType(key)).toThrow(/unknown model type/);

    for (const url of ['/training/run', '/training/crossval']) {
      const res = await api.app.inject({
        method: 'POST',
        url,
        payload: { dataset_id: 1, model_type: 'bert-xl', training_overrides: {} },
      });
      expect(res.statusCode, url).toBe(400);
      const body = res.json();
      expect(body.error.code).toBe('VALIDATION_ERROR');
      expect(body.error.details).toContainEqual({
        field: 'body.model_type',
        problem: `must be one of ${MODEL_TYPES.join(', ')}`,
      });
    }
  });

  it('loading an artifact of an unknown type names the type', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = await mkdtemp(path.join(tmpdir(), 'model-type-'));
    try {
      await writeFile(
        path.join(dir, 'manifest.json'),
        JSON.stringify({ format: 1, type: 'bert-xl', labels: [], params: {}, settings: {}, arrays: {}, versions: {} }),
      );
      await expect(loadClassifier(dir)).rejects.toThrow(/unsupported model type "bert-xl"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
