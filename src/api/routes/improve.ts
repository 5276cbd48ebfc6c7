import { Type, type Static } from '@sinclair/typebox';
import { datasetDiff, datasetVersions, deriveDataset, promoteCheck } from '../../improve/index.js';
import type { LabApp } from '../app.js';
import { DatasetSchema } from '../contracts/datasets.js';
import {
  DatasetDiffSchema,
  DatasetVersionListSchema,
  DeriveBody,
  DeriveResultSchema,
  PromoteCheckBody,
  PromoteCheckSchema,
} from '../contracts/improve.js';
import { errorResponses } from '../schemas.js';

const IdParams = Type.Object({ id: Type.String({ description: 'dataset id, name or name@version' }) });

/** Dataset versions from reviews and the promotion check: thin doors into src/improve. */
export default async function improveRoutes(app: LabApp): Promise<void> {
  // The derived version is a Dataset; the datasets routes register it in their own scope.
  app.addSchema(DatasetSchema);

  app.post(
    '/datasets/:id/derive',
    {
      schema: {
        tags: ['datasets', 'review'],
        summary: 'New version of a training dataset = its examples + the reviewed turns of logs, with provenance',
        params: IdParams,
        body: DeriveBody,
        response: { 201: DeriveResultSchema, ...errorResponses(400, 404) },
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
        response: { 200: DatasetVersionListSchema, ...errorResponses(404) },
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
        response: { 200: DatasetDiffSchema, ...errorResponses(400, 404) },
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
        body: PromoteCheckBody,
        response: { 200: PromoteCheckSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const body = (request.body ?? {}) as Static<typeof PromoteCheckBody>;
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
