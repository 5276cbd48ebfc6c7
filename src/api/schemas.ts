import { Type, type TSchema } from '@sinclair/typebox';
import { describeModelTypes, MODEL_TYPES, type ModelType } from '../nlp/registry.js';

/** The body of every 4xx/5xx answer. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ examples: ['VALIDATION_ERROR'] }),
      message: Type.String(),
      details: Type.Array(
        Type.Object({ field: Type.Optional(Type.String()), problem: Type.String() }, { additionalProperties: true }),
      ),
    }),
  },
  { $id: 'ErrorBody', title: 'Error' },
);

/** Standard error responses to merge into a route's `response` schema. */
export function errorResponses(...codes: number[]): Record<number, TSchema> {
  return Object.fromEntries(codes.map((code) => [code, Type.Ref('ErrorBody')]));
}

/**
 * A model type in a request: the registry's types as an OpenAPI enum (an unknown type is a 400
 * that lists them), each type's description in the schema's description.
 */
export function ModelTypeSchema(description?: string) {
  const types = describeModelTypes()
    .map((t) => `\`${t.type}\`: ${t.description}`)
    .join('; ');
  return Type.Unsafe<ModelType>({
    type: 'string',
    enum: [...MODEL_TYPES],
    description: description ? `${description}. ${types}` : types,
  });
}
