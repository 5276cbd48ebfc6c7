import { Type, type Static } from '@sinclair/typebox';

/** Shapes of the datasets API, declared once for the routes (/docs) and the dashboard's types. */

const Json = Type.Unknown();

export const DatasetSchema = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    type: Type.String(),
    source: Type.String(),
    checksum: Type.String({ description: 'sha256 of the files and the options that change what is stored' }),
    version: Type.Integer(),
    preprocess: Type.Record(Type.String(), Type.Boolean()),
    split_counts: Type.Record(Type.String(), Type.Integer(), { description: 'examples per split' }),
    label_count: Type.Integer(),
    example_count: Type.Integer(),
    conversation_count: Type.Integer(),
    turn_count: Type.Integer(),
    created_at: Type.String(),
  },
  { $id: 'Dataset', title: 'Dataset' },
);

/** `GET /datasets`: every version of every dataset. */
export const DatasetListSchema = Type.Object({ items: Type.Array(Type.Ref('Dataset')) });

/** One cursor page of `GET /datasets/{id}/examples`. */
export const ExamplePageSchema = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Type.Integer(),
      split: Type.String(),
      text: Type.String(),
      norm_text: Type.String(),
      label: Type.Union([Type.String(), Type.Null()]),
      metadata: Type.Union([Type.Record(Type.String(), Json), Type.Null()]),
    }),
  ),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});

export type Dataset = Static<typeof DatasetSchema>;
export type DatasetList = { items: Dataset[] };
export type ExamplePage = Static<typeof ExamplePageSchema>;
export type ExampleRow = ExamplePage['items'][number];
