import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { acceptCluster, dismissCluster, mergeCluster } from '../../discovery/actions.js';
import { startDiscovery } from '../../discovery/discover.js';
import { getDiscoveryRun, listDiscoveryRuns } from '../../discovery/repository.js';
import type { LabApp } from '../app.js';
import {
  DiscoveryClusterSchema,
  DiscoveryRunListSchema,
  DiscoveryRunSchema,
  StartDiscoveryBody,
} from '../contracts/discovery.js';
import { errorResponses } from '../schemas.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

const reviewerOf = (request: FastifyRequest) => request.principal?.name ?? 'api';

export default async function discoveryRoutes(app: LabApp): Promise<void> {
  app.addSchema(DiscoveryClusterSchema);
  app.addSchema(DiscoveryRunSchema);

  app.post(
    '/discovery/runs',
    {
      schema: {
        tags: ['discovery'],
        summary: "Cluster a log's unrecognised user turns into candidate intents (a queued job; poll the run)",
        body: StartDiscoveryBody,
        response: { 202: Type.Ref('DiscoveryRun'), ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const run = await startDiscovery(app.lab, {
        datasetId: b.dataset_id,
        pool: b.pool,
        threshold: b.threshold,
        lowConfidence: b.low_confidence,
        model: b.model,
        minClusterSize: b.min_cluster_size,
      });
      return reply.status(202).send(run);
    },
  );

  app.get(
    '/discovery/runs',
    {
      schema: {
        tags: ['discovery'],
        summary: 'Discovery runs, newest first (without their clusters)',
        querystring: Type.Object(
          { dataset_id: Type.Optional(Type.Integer({ minimum: 1 })) },
          { additionalProperties: false },
        ),
        response: { 200: DiscoveryRunListSchema, ...errorResponses(400) },
      },
    },
    async (request) => ({ runs: await listDiscoveryRuns(app.lab, request.query.dataset_id) }),
  );

  app.get(
    '/discovery/runs/:id',
    {
      schema: {
        tags: ['discovery'],
        summary: 'A discovery run: status, progress (phase, done, total) and, once done, its clusters',
        params: IdParams,
        response: { 200: Type.Ref('DiscoveryRun'), ...errorResponses(400, 404) },
      },
    },
    async (request) => getDiscoveryRun(app.lab, request.params.id),
  );

  app.post(
    '/discovery/clusters/:id/accept',
    {
      schema: {
        tags: ['discovery'],
        summary: "Accept a cluster as a new intent: each of its turns gets a 'new_intent' review decision",
        params: IdParams,
        body: Type.Object(
          { intent: Type.String({ description: 'the new intent (letters, digits, _ . : -)' }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref('DiscoveryCluster'), ...errorResponses(400, 404, 409) },
      },
    },
    async (request) => acceptCluster(app.lab, request.params.id, request.body.intent, reviewerOf(request)),
  );

  app.post(
    '/discovery/clusters/:id/merge',
    {
      schema: {
        tags: ['discovery'],
        summary: "Merge a cluster into an existing intent: each of its turns gets a 'correct' review decision",
        params: IdParams,
        body: Type.Object(
          { into: Type.String({ description: 'an intent of the log' }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref('DiscoveryCluster'), ...errorResponses(400, 404, 409) },
      },
    },
    async (request) => mergeCluster(app.lab, request.params.id, request.body.into, reviewerOf(request)),
  );

  app.post(
    '/discovery/clusters/:id/dismiss',
    {
      schema: {
        tags: ['discovery'],
        summary: 'Dismiss a cluster (no decision is recorded for its turns)',
        params: IdParams,
        response: { 200: Type.Ref('DiscoveryCluster'), ...errorResponses(400, 404, 409) },
      },
    },
    async (request) => dismissCluster(app.lab, request.params.id, reviewerOf(request)),
  );
}
