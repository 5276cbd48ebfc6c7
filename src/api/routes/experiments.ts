import { Type } from '@sinclair/typebox';
import { compareRuns, parseRunIds } from '../../experiments/compare.js';
import { listModels, removeAlias, setAlias } from '../../experiments/registry.js';
import type { LabApp } from '../app.js';
import { ComparisonSchema, ModelVersionSchema } from '../contracts/experiments.js';
import { errorResponses } from '../schemas.js';

const VersionParams = Type.Object({
  version: Type.String({ description: 'version number or name:version', pattern: '^([^:]+:)?[0-9]+$' }),
});
const AliasBody = Type.Object(
  { alias: Type.String({ minLength: 1, maxLength: 64, examples: ['production', 'staging'] }) },
  { additionalProperties: false },
);

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
