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

export const FindingSchema = Type.Object({
  id: Type.String(),
  severity: Type.Union([Type.Literal('error'), Type.Literal('warning'), Type.Literal('info')]),
  split: Type.Optional(Type.String()),
  message: Type.String(),
  count: Type.Integer(),
  examples: Type.Array(Json),
  source: Type.Optional(Type.String()),
});
export const FindingCountsSchema = Type.Object({
  errors: Type.Integer(),
  warnings: Type.Integer(),
  info: Type.Integer(),
});
/** `GET /datasets/{id}/validation`: what the checks found. */
export const ValidationReportSchema = Type.Object({
  dataset_id: Type.Integer(),
  generated_at: Type.String(),
  options: Type.Record(Type.String(), Type.Number()),
  summary: FindingCountsSchema,
  splits: Type.Record(
    Type.String(),
    Type.Object({
      rows: Type.Integer(),
      labels: Type.Record(Type.String(), Type.Integer()),
      imbalance_ratio: Type.Union([Type.Number(), Type.Null()]),
    }),
  ),
  findings: Type.Array(FindingSchema),
});
/** `GET /datasets/{id}/summary`. */
export const DatasetSummarySchema = Type.Object({
  dataset: Type.Ref('Dataset'),
  splits: Type.Record(Type.String(), Type.Object({ examples: Type.Integer(), labels: Type.Integer() })),
  labels: Type.Array(
    Type.Object({ label: Type.String(), total: Type.Integer(), by_split: Type.Record(Type.String(), Type.Integer()) }),
  ),
  text_length: Type.Object({
    mean: Type.Union([Type.Number(), Type.Null()]),
    max: Type.Union([Type.Integer(), Type.Null()]),
  }),
  conversations: Type.Object({
    count: Type.Integer(),
    turns: Type.Integer(),
    mean_turns: Type.Union([Type.Number(), Type.Null()]),
    by_split: Type.Record(Type.String(), Type.Integer()),
    speakers: Type.Record(Type.String(), Type.Integer()),
    first_ts: Type.Union([Type.Number(), Type.Null()]),
    last_ts: Type.Union([Type.Number(), Type.Null()]),
  }),
  validation: Type.Union([FindingCountsSchema, Type.Null()]),
});
/** `POST /datasets/upload`: the stored dataset (`created` false when identical content was already there). */
export const UploadResultSchema = Type.Object({
  created: Type.Boolean({ description: 'false when identical content was already stored (same checksum)' }),
  dataset: Type.Ref('Dataset'),
  summary: DatasetSummarySchema,
});

export type Dataset = Static<typeof DatasetSchema>;
export type DatasetList = { items: Dataset[] };
export type ExamplePage = Static<typeof ExamplePageSchema>;
export type ExampleRow = ExamplePage['items'][number];
export type Finding = Static<typeof FindingSchema>;
export type ValidationReport = Static<typeof ValidationReportSchema>;
// `Type.Ref('Dataset')` is `unknown` to Static: the referenced shape is put back here.
export type DatasetSummary = Omit<Static<typeof DatasetSummarySchema>, 'dataset'> & { dataset: Dataset };
export type UploadResult = { created: boolean; dataset: Dataset; summary: DatasetSummary };
