import { Type, type Static } from '@sinclair/typebox';
import { ModelTypeSchema } from '../schemas.js';

/**
 * The model-type registry as GET /model-types answers it, declared once: the route documents and
 * serialises with it, and the dashboard builds its model-type lists from the derived types.
 */

export const ParamSpecSchema = Type.Object({
  type: Type.Union([Type.Literal('int'), Type.Literal('float'), Type.Literal('string'), Type.Literal('boolean')]),
  default: Type.Union([Type.Number(), Type.String(), Type.Boolean()]),
  min: Type.Optional(Type.Number()),
  max: Type.Optional(Type.Number()),
  choices: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Number()]))),
  description: Type.String(),
});

export const ModelTypeInfoSchema = Type.Object({
  type: ModelTypeSchema(),
  description: Type.String(),
  params: Type.Record(Type.String(), ParamSpecSchema, {
    description: 'hyper-parameters accepted in training_overrides, with defaults and ranges',
  }),
});

export const ModelTypeListSchema = Type.Object({ items: Type.Array(ModelTypeInfoSchema) });

export type ModelTypeInfo = Static<typeof ModelTypeInfoSchema>;
export type ModelTypeList = Static<typeof ModelTypeListSchema>;
