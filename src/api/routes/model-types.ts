import { Type } from '@sinclair/typebox';
import { describeModelTypes } from '../../nlp/registry.js';
import type { LabApp } from '../app.js';
import { ModelTypeSchema } from '../schemas.js';

const ParamSpecSchema = Type.Object({
  type: Type.Union([Type.Literal('int'), Type.Literal('float'), Type.Literal('string'), Type.Literal('boolean')]),
  default: Type.Union([Type.Number(), Type.String(), Type.Boolean()]),
  min: Type.Optional(Type.Number()),
  max: Type.Optional(Type.Number()),
  choices: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Number()]))),
  description: Type.String(),
});

const ModelTypeInfo = Type.Object({
  type: ModelTypeSchema(),
  description: Type.String(),
  params: Type.Record(Type.String(), ParamSpecSchema, {
    description: 'hyper-parameters accepted in training_overrides, with defaults and ranges',
  }),
});

/** The model-type registry as the API shows it: what can be trained, with which parameters. */
export default async function modelTypesRoutes(app: LabApp): Promise<void> {
  app.get(
    '/model-types',
    {
      schema: {
        tags: ['training'],
        summary: 'Model types that can be trained, with their descriptions and hyper-parameters',
        response: { 200: Type.Object({ items: Type.Array(ModelTypeInfo) }) },
      },
    },
    async () => ({
      items: describeModelTypes().map((t) => ({ type: t.type, description: t.description, params: t.paramSpec })),
    }),
  );
}
