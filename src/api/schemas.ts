import { Type, type TSchema } from '@sinclair/typebox';

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
