import { Type } from '@sinclair/typebox';
import { compareRuns, parseRunIds } from '../../experiments/compare.js';
import { listModels, removeAlias, setAlias } from '../../experiments/registry.js';
import type { LabApp } from '../app.js';
import { errorResponses } from '../schemas.js';

const Json = Type.Unknown();

const ModelVersionSchema = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    version: Type.Integer(),
    run_id: Type.Union([Type.Integer(), Type.Null()]),
    model_type: Type.String(),
    path: Type.String(),
    labels: Type.Array(Type.String()),
    metrics: Type.Union([Type.Record(Type.String(), Json), Type.Null()]),
    threshold: Type.Number({ description: 'fallback confidence threshold chosen on validation data' }),
    description: Type.Union([Type.String(), Type.Null()]),
    created_at: Type.String(),
    aliases: Type.Array(Type.String()),
  },
  { $id: 'ModelVersion', title: 'ModelVersion' },
);

const VersionParams = Type.Object({
  version: Type.String({ description: 'version number or name:version', pattern: '^([^:]+:)?[0-9]+$' }),
});
const AliasBody = Type.Object(
  { alias: Type.String({ minLength: 1, maxLength: 64, examples: ['production', 'staging'] }) },
  { additionalProperties: false },
);

const Delta = Type.Object({
  baseline: Type.Union([Type.Number(), Type.Null()]),
  candidate: Type.Union([Type.Number(), Type.Null()]),
  delta: Type.Union([Type.Number(), Type.Null()]),
});

const ComparisonSchema = Type.Object({
  runs: Type.Array(Type.Record(Type.String(), Json)),
  comparisons: Type.Array(
    Type.Object({
      baseline: Type.Integer(),
      candidate: Type.Integer(),
      metric_deltas: Type.Record(Type.String(), Delta),
      intent_f1_deltas: Type.Array(Type.Intersect([Type.Object({ intent: Type.String() }), Delta])),
      mcnemar: Type.Union([
        Type.Object({
          b: Type.Integer({ description: 'baseline right, candidate wrong' }),
          c: Type.Integer({ description: 'baseline wrong, candidate right' }),
          method: Type.String(),
          statistic: Type.Number(),
          pValue: Type.Number(),
          significant: Type.Boolean(),
          alpha: Type.Number(),
          shared_examples: Type.Integer(),
        }),
        Type.Null(),
      ]),
      verdict: Type.String(),
    }),
  ),
});

export default async function experimentsRoutes(app: LabApp): Promise<void> {
  app.addSchema(ModelVersionSchema);

  app.get(
    '/models',
    {
      schema: {
        tags: ['models'],
        summary: 'Registered model versions with their aliases',
        response: { 200: Type.Object({ models: Type.Array(Type.Ref('ModelVersion')) }) },
      },
    },
    async () => ({ models: await listModels(app.lab) }),
  );

  app.post(
    '/models/:version/aliases',
    {
      schema: {
        tags: ['models'],
        summary: 'Point an alias (production, staging, ...) at this version (promote)',
        params: VersionParams,
        body: AliasBody,
        response: { 200: Type.Ref('ModelVersion'), ...errorResponses(400, 404) },
      },
    },
    async (request) => setAlias(app.lab, request.params.version, request.body.alias),
  );

  app.delete(
    '/models/:version/aliases/:alias',
    {
      schema: {
        tags: ['models'],
        summary: 'Remove an alias from this version (demote)',
        params: Type.Intersect([VersionParams, Type.Object({ alias: Type.String() })]),
        response: { 200: Type.Ref('ModelVersion'), ...errorResponses(400, 404) },
      },
    },
    async (request) => removeAlias(app.lab, request.params.version, request.params.alias),
  );

  app.get(
    '/runs/compare',
    {
      schema: {
        tags: ['training'],
        summary: "Compare runs: metric deltas, per-intent F1 deltas and McNemar's test against the first run",
        querystring: Type.Object({
          ids: Type.String({ description: 'comma-separated run ids; the first is the baseline', examples: ['3,5'] }),
        }),
        response: { 200: ComparisonSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => compareRuns(app.lab, parseRunIds(request.query.ids)),
  );
}
