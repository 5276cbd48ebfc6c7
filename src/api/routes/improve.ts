import { Type, type Static } from '@sinclair/typebox';
import { datasetDiff, datasetVersions, deriveDataset, promoteCheck } from '../../improve/index.js';
import type { LabApp } from '../app.js';
import { McNemarSchema } from '../contracts/experiments.js';
import { errorResponses } from '../schemas.js';

/** Nested objects documented by their fields in the README; every property is returned. */
const Open = (description: string) => Type.Object({}, { additionalProperties: true, description });
const DatasetRef = Type.Union([Type.Integer({ minimum: 1 }), Type.String({ minLength: 1 })], {
  description: 'dataset id, name (latest version) or name@version',
});
const IdParams = Type.Object({ id: Type.String({ description: 'dataset id, name or name@version' }) });

const DeriveBody = Type.Object(
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

const DeriveSchema = Type.Object({
  dataset: Open('the new version (a Dataset)'),
  created: Type.Boolean({ description: 'false when the same derivation was already stored' }),
  from: Type.Object({ id: Type.Integer(), name: Type.String(), version: Type.Integer() }),
  reviews: Type.Array(Type.Object({ id: Type.Integer(), name: Type.String() })),
  added: Type.Object({
    total: Type.Integer(),
    train: Type.Integer(),
    test: Type.Integer(),
    by_intent: Type.Array(Type.Object({ intent: Type.String(), count: Type.Integer(), new_intent: Type.Boolean() })),
  }),
  duplicates: Type.Integer(),
  conflicts: Type.Array(
    Type.Object({
      text: Type.String(),
      turn_id: Type.Integer(),
      decision_id: Type.Integer(),
      decided_intent: Type.String(),
      existing_label: Type.String(),
      existing: Type.String(),
    }),
  ),
  validation: Type.Object({ errors: Type.Integer(), warnings: Type.Integer(), info: Type.Integer() }),
});

const VersionsSchema = Type.Object({
  versions: Type.Array(
    Type.Object({
      id: Type.Integer(),
      name: Type.String(),
      version: Type.Integer(),
      source: Type.String(),
      example_count: Type.Integer(),
      label_count: Type.Integer(),
      reviewed_examples: Type.Integer(),
      created_at: Type.String(),
    }),
  ),
});

const Ref = Type.Object({ id: Type.Integer(), name: Type.String(), version: Type.Integer() });
const DiffSchema = Type.Object({
  dataset: Ref,
  against: Type.Union([Ref, Type.Null()]),
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
      provenance: Open('source_dataset, turn_id, decision_id, decision, reviewer'),
    }),
  ),
});

const PromoteBody = Type.Object(
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

const Pair = Type.Object({ baseline: Type.Number(), candidate: Type.Number(), delta: Type.Number() });
const PromoteSchema = Type.Object({
  candidate: Open('version, name, model_type, run_id, dataset_id, aliases'),
  baseline: Open('version, name, model_type, run_id, dataset_id, aliases'),
  dataset: Ref,
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
  ),
  verdict: Type.Union([Type.Literal('promote'), Type.Literal('hold'), Type.Literal('regressed')]),
  reasons: Type.Array(Type.String()),
  alias: Type.String(),
  applied: Type.Boolean(),
});

/** Dataset versions from reviews and the promotion check: thin doors into src/improve. */
export default async function improveRoutes(app: LabApp): Promise<void> {
  app.post(
    '/datasets/:id/derive',
    {
      schema: {
        tags: ['datasets', 'review'],
        summary: 'New version of a training dataset = its examples + the reviewed turns of logs, with provenance',
        params: IdParams,
        body: DeriveBody,
        response: { 201: DeriveSchema, ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const body = request.body as Static<typeof DeriveBody>;
      const result = await deriveDataset(app.lab, {
        from: request.params.id,
        reviews: body.reviews,
        name: body.name,
        withOos: body.with_oos,
        holdout: body.holdout,
      });
      return reply.status(201).send(result);
    },
  );

  app.get(
    '/datasets/:id/versions',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Every version of this dataset (same name) with its provenance',
        params: IdParams,
        response: { 200: VersionsSchema, ...errorResponses(404) },
      },
    },
    async (request) => ({ versions: await datasetVersions(app.lab, request.params.id) }),
  );

  app.get(
    '/datasets/:id/diff',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Examples per intent added or removed against another version (default: the previous one)',
        params: IdParams,
        querystring: Type.Object({ against: Type.Optional(Type.String()) }, { additionalProperties: false }),
        response: { 200: DiffSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => datasetDiff(app.lab, request.params.id, request.query.against),
  );

  app.post(
    '/models/:version/promote-check',
    {
      schema: {
        tags: ['models'],
        summary:
          'Score this version and the baseline on the same held-out data: McNemar, per-intent F1 deltas, verdict promote | hold | regressed; apply moves the alias only on promote',
        params: Type.Object({ version: Type.String({ description: 'version, name:version, alias or run:<id>' }) }),
        body: PromoteBody,
        response: { 200: PromoteSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const body = (request.body ?? {}) as Static<typeof PromoteBody>;
      return promoteCheck(app.lab, {
        candidate: request.params.version,
        baseline: body.baseline,
        dataset: body.dataset,
        reviews: body.reviews,
        apply: body.apply,
        alias: body.alias,
      });
    },
  );
}
