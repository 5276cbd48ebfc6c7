import { Type, type Static } from '@sinclair/typebox';
import type { Dataset } from './datasets.js';
import { McNemarSchema } from './experiments.js';
import type { Run } from './training.js';

/**
 * Shapes of the improvement loop's API — derived dataset versions, their diff and promote-check —
 * declared once: the routes validate, serialise and document (/docs) with them, src/improve
 * builds them, the CLI prints them with --json, and the dashboard imports the derived types.
 */

const DatasetRef = Type.Union([Type.Integer({ minimum: 1 }), Type.String({ minLength: 1 })], {
  description: 'dataset id, name (latest version) or name@version',
});
const VersionRef = Type.Object({ id: Type.Integer(), name: Type.String(), version: Type.Integer() });

export const DeriveBody = Type.Object(
  {
    reviews: Type.Array(DatasetRef, { minItems: 1, description: 'logs whose review decisions become examples' }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'store under another name' })),
    with_oos: Type.Optional(Type.Boolean({ description: 'add out-of-scope decisions under the `oos` label' })),
    holdout: Type.Optional(
      Type.Number({ minimum: 0, maximum: 0.9, description: "share of each intent's new examples put in test (0.2)" }),
    ),
  },
  { additionalProperties: false },
);

export const ReviewConflictSchema = Type.Object({
  text: Type.String(),
  turn_id: Type.Integer(),
  decision_id: Type.Integer(),
  decided_intent: Type.String(),
  existing_label: Type.String({ description: 'the label the text already has' }),
  existing: Type.Union([Type.Literal('example'), Type.Literal('decision')], {
    description: 'where that label comes from: an old example or another decision',
  }),
});

/** `POST /datasets/{id}/derive` (201). `dataset` is the new version (see the Dataset schema). */
export const DeriveResultSchema = Type.Object({
  dataset: Type.Ref('Dataset'),
  created: Type.Boolean({ description: 'false when the same derivation was already stored' }),
  from: VersionRef,
  reviews: Type.Array(Type.Object({ id: Type.Integer(), name: Type.String() })),
  added: Type.Object({
    total: Type.Integer(),
    train: Type.Integer(),
    test: Type.Integer(),
    by_intent: Type.Array(Type.Object({ intent: Type.String(), count: Type.Integer(), new_intent: Type.Boolean() })),
  }),
  duplicates: Type.Integer({ description: 'reviewed texts already present with the same label' }),
  conflicts: Type.Array(ReviewConflictSchema),
  validation: Type.Object({ errors: Type.Integer(), warnings: Type.Integer(), info: Type.Integer() }),
});

export const DatasetVersionSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  version: Type.Integer(),
  source: Type.String(),
  example_count: Type.Integer(),
  label_count: Type.Integer(),
  reviewed_examples: Type.Integer({ description: 'examples that came from review decisions (with provenance)' }),
  created_at: Type.String(),
});

/** `GET /datasets/{id}/versions`: every version of the same name, oldest first. */
export const DatasetVersionListSchema = Type.Object({ versions: Type.Array(DatasetVersionSchema) });

/** `metadata.provenance` of an example derived from a review decision. */
export const ProvenanceSchema = Type.Object({
  source_dataset: Type.Integer({ description: 'the log' }),
  turn_id: Type.Integer(),
  decision_id: Type.Integer(),
  decision: Type.String(),
  reviewer: Type.String(),
});

export const DatasetDiffSchema = Type.Object({
  dataset: VersionRef,
  against: Type.Union([VersionRef, Type.Null()], { description: 'null for a first version' }),
  by_intent: Type.Array(
    Type.Object({
      intent: Type.String(),
      before: Type.Integer(),
      after: Type.Integer(),
      delta: Type.Integer(),
      new_intent: Type.Boolean(),
    }),
  ),
  added_total: Type.Integer(),
  removed_total: Type.Integer(),
  reviewed: Type.Array(
    Type.Object({
      id: Type.Integer(),
      split: Type.String(),
      text: Type.String(),
      label: Type.Union([Type.String(), Type.Null()]),
      provenance: ProvenanceSchema,
    }),
    { description: 'examples added from reviews since `against`, with provenance (first 200)' },
  ),
});

export const PromoteCheckBody = Type.Object(
  {
    baseline: Type.Optional(Type.String({ minLength: 1, default: 'production', description: 'alias or version' })),
    dataset: Type.Optional(DatasetRef),
    reviews: Type.Optional(
      Type.Array(DatasetRef, { description: 'logs whose held-out reviewed turns are scored (default: all; [] none)' }),
    ),
    apply: Type.Optional(Type.Boolean({ description: 'move the alias when the verdict is promote' })),
    alias: Type.Optional(Type.String({ minLength: 1, maxLength: 64, default: 'production' })),
  },
  { additionalProperties: false },
);

const ComparedModel = Type.Object({
  version: Type.Integer(),
  name: Type.String(),
  model_type: Type.String(),
  run_id: Type.Union([Type.Integer(), Type.Null()]),
  dataset_id: Type.Union([Type.Integer(), Type.Null()], { description: 'the dataset it was trained on' }),
  aliases: Type.Array(Type.String(), { description: 'after apply' }),
});
const Pair = Type.Object({ baseline: Type.Number(), candidate: Type.Number(), delta: Type.Number() });

export const VerdictSchema = Type.Union([Type.Literal('promote'), Type.Literal('hold'), Type.Literal('regressed')]);

/** `POST /models/{version}/promote-check`. */
export const PromoteCheckSchema = Type.Object({
  candidate: ComparedModel,
  baseline: ComparedModel,
  dataset: VersionRef,
  held_out: Type.Object({ test_examples: Type.Integer(), reviewed_turns: Type.Integer(), total: Type.Integer() }),
  metrics: Type.Object({ accuracy: Pair, macro_f1: Pair }),
  mcnemar: McNemarSchema,
  intent_f1_deltas: Type.Array(
    Type.Object({
      intent: Type.String(),
      support: Type.Integer(),
      baseline: Type.Number(),
      candidate: Type.Number(),
      delta: Type.Number(),
    }),
    { description: 'worst first' },
  ),
  verdict: VerdictSchema,
  reasons: Type.Array(Type.String()),
  alias: Type.String(),
  applied: Type.Boolean(),
});

export type ReviewConflict = Static<typeof ReviewConflictSchema>;
/** Type.Ref does not carry its target's type: `dataset` is a Dataset. */
export type DeriveResult = Omit<Static<typeof DeriveResultSchema>, 'dataset'> & { dataset: Dataset };
export type DatasetVersion = Static<typeof DatasetVersionSchema>;
export type DatasetVersionList = Static<typeof DatasetVersionListSchema>;
export type Provenance = Static<typeof ProvenanceSchema>;
export type DatasetDiff = Static<typeof DatasetDiffSchema>;
export type Verdict = Static<typeof VerdictSchema>;
export type ComparedModel = Static<typeof ComparedModel>;
export type PromoteCheck = Static<typeof PromoteCheckSchema>;

/** `chatlab improve --json` (CLI only): the three steps' answers, each in its API shape. */
export interface ImproveResult {
  derive: DeriveResult;
  run: Run;
  promote_check: PromoteCheck;
}
